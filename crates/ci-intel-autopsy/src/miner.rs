//! The log-template miner: error-looking lines no rule knows, grouped into templates so a
//! failure seen in many runs shows as one signature (and as a candidate for a new rule).
//!
//! This is Drain (He et al., ICWS 2017) as the `drain3` library implements it, with its
//! defaults: a fixed-depth prefix tree (token count, then the first `depth - 3` tokens, tokens
//! holding digits routed to `<*>`), at most `max_children` children per node, and in each leaf
//! the cluster whose template shares the most tokens, if at least `sim_th` of them; a matched
//! template turns the tokens that differ into `<*>`. Keeping drain3's choices makes the two
//! comparable line for line (see `bench/autopsy.sh`).

use std::collections::HashMap;

use crate::model::{LogLocation, Signature};

/// The wildcard in templates.
pub const PARAM: &str = "<*>";

/// Drain's parameters (drain3's defaults).
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub depth: usize,
    pub sim_th: f64,
    pub max_children: usize,
    /// Most clusters kept; further new lines are counted but not clustered.
    pub max_clusters: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            depth: 4,
            sim_th: 0.4,
            max_children: 100,
            max_clusters: 10_000,
        }
    }
}

#[derive(Debug, Clone)]
struct Cluster {
    tokens: Vec<String>,
    count: u64,
    first: Option<LogLocation>,
    example: String,
}

#[derive(Debug, Default)]
struct Node {
    children: HashMap<String, Node>,
    clusters: Vec<usize>,
}

/// A streaming Drain miner.
#[derive(Debug)]
pub struct Miner {
    params: Params,
    /// Token count → prefix tree.
    roots: HashMap<usize, Node>,
    clusters: Vec<Cluster>,
    /// Lines not clustered because `max_clusters` was reached.
    pub overflow: u64,
}

impl Default for Miner {
    fn default() -> Self {
        Self::new(Params::default())
    }
}

impl Miner {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            roots: HashMap::new(),
            clusters: Vec::new(),
            overflow: 0,
        }
    }

    /// Adds a line; returns its cluster's index.
    pub fn add(&mut self, line: &str, at: &LogLocation) -> Option<usize> {
        self.add_with(line, || Some(at.clone()))
    }

    /// Adds a line without a location (benchmarks, tests); returns its cluster's index.
    pub fn add_line(&mut self, line: &str, at: Option<&LogLocation>) -> Option<usize> {
        self.add_with(line, || at.cloned())
    }

    /// Adds a line; `at` is asked for the line's location only when it starts a new cluster
    /// (the scanner's hot path builds none for the lines that join one).
    pub fn add_with(
        &mut self,
        line: &str,
        at: impl FnOnce() -> Option<LogLocation>,
    ) -> Option<usize> {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        // drain3 walks `depth - 2` levels below the root, the first being the token count, and
        // never uses the last token of a line for the path.
        let levels = self
            .params
            .depth
            .saturating_sub(3)
            .min(tokens.len().saturating_sub(1));
        let found = self
            .roots
            .get(&tokens.len())
            .and_then(|root| search(root, &tokens[..levels]))
            .and_then(|leaf| {
                best_match(&self.clusters, &leaf.clusters, &tokens, self.params.sim_th)
            });
        if let Some(id) = found {
            let c = &mut self.clusters[id];
            for (t, new) in c.tokens.iter_mut().zip(&tokens) {
                if t != new && t != PARAM {
                    PARAM.clone_into(t);
                }
            }
            c.count += 1;
            return Some(id);
        }
        if self.clusters.len() >= self.params.max_clusters {
            self.overflow += 1;
            return None;
        }
        let id = self.clusters.len();
        self.clusters.push(Cluster {
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
            count: 1,
            first: at(),
            example: line.to_owned(),
        });
        let root = self.roots.entry(tokens.len()).or_default();
        let leaf = insert_path(root, &tokens[..levels], self.params.max_children);
        if tokens.is_empty() {
            // drain3 keeps one cluster for empty lines.
            leaf.clusters = vec![id];
        } else {
            leaf.clusters.push(id);
        }
        Some(id)
    }

    /// The template of cluster `id`.
    pub fn template(&self, id: usize) -> String {
        self.clusters
            .get(id)
            .map(|c| c.tokens.join(" "))
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.clusters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clusters.is_empty()
    }

    /// Every cluster with a location, most frequent first (then first seen).
    pub fn signatures(&self) -> Vec<Signature> {
        let mut out: Vec<Signature> = self
            .clusters
            .iter()
            .filter_map(|c| {
                Some(Signature {
                    template: c.tokens.join(" "),
                    count: c.count,
                    first: c.first.clone()?,
                    example: c.example.clone(),
                })
            })
            .collect();
        out.sort_by_key(|s| std::cmp::Reverse(s.count));
        out
    }
}

/// The leaf a line's leading `tokens` lead to, as drain3's `tree_search`: the token's child,
/// else the wildcard child.
fn search<'n>(root: &'n Node, tokens: &[&str]) -> Option<&'n Node> {
    let mut node = root;
    for token in tokens {
        node = node
            .children
            .get(*token)
            .or_else(|| node.children.get(PARAM))?;
    }
    Some(node)
}

/// The leaf for a new cluster, creating the path as drain3's `add_seq_to_prefix_tree` does:
/// tokens with digits go to the wildcard, and a node full of children sends the rest there.
fn insert_path<'n>(root: &'n mut Node, tokens: &[&str], max_children: usize) -> &'n mut Node {
    let mut node = root;
    for token in tokens {
        let key = if node.children.contains_key(*token) {
            (*token).to_owned()
        } else if token.bytes().any(|b| b.is_ascii_digit()) {
            PARAM.to_owned()
        } else if node.children.contains_key(PARAM) {
            if node.children.len() < max_children {
                (*token).to_owned()
            } else {
                PARAM.to_owned()
            }
        } else if node.children.len() + 1 < max_children {
            (*token).to_owned()
        } else {
            PARAM.to_owned()
        };
        node = node.children.entry(key).or_default();
    }
    node
}

/// The cluster among `ids` most similar to `tokens`, if similar enough: the share of positions
/// where the template has the same token (wildcards do not count), ties to the template with
/// more wildcards.
fn best_match(clusters: &[Cluster], ids: &[usize], tokens: &[&str], sim_th: f64) -> Option<usize> {
    let mut best: Option<(usize, f64, usize)> = None;
    for &id in ids {
        let t = &clusters[id].tokens;
        if t.len() != tokens.len() {
            continue;
        }
        let mut same = 0usize;
        let mut params = 0usize;
        for (a, b) in t.iter().zip(tokens) {
            if a == PARAM {
                params += 1;
            } else if a == b {
                same += 1;
            }
        }
        let sim = if t.is_empty() {
            1.0
        } else {
            same as f64 / t.len() as f64
        };
        let better = match best {
            None => true,
            Some((_, s, p)) => sim > s || (sim == s && params > p),
        };
        if better {
            best = Some((id, sim, params));
        }
    }
    best.filter(|&(_, s, _)| s >= sim_th).map(|(id, _, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_lines_that_differ_in_their_variable_parts() {
        let mut m = Miner::default();
        let a = m
            .add_line("connect to host 10.0.0.1 failed: timeout", None)
            .unwrap();
        let b = m
            .add_line("connect to host 10.0.0.7 failed: refused", None)
            .unwrap();
        let c = m.add_line("npm ERR! code E404", None).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(m.template(a), "connect to host <*> failed: <*>");
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn lines_of_other_lengths_never_share_a_cluster() {
        let mut m = Miner::default();
        let a = m.add_line("error: boom", None).unwrap();
        let b = m.add_line("error: boom boom", None).unwrap();
        assert_ne!(a, b);
        assert_eq!(m.add_line("", None), m.add_line("  ", None));
    }

    #[test]
    fn dissimilar_lines_start_new_clusters() {
        let mut m = Miner::default();
        let a = m.add_line("alpha beta gamma delta", None).unwrap();
        let b = m.add_line("alpha beta one two", None).unwrap();
        let c = m.add_line("alpha beta three four", None).unwrap();
        // 2 of 4 tokens equal: 0.5 >= 0.4, so all three share the first cluster.
        assert_eq!((a, b), (a, c));
        assert_eq!(m.template(a), "alpha beta <*> <*>");
        let d = m.add_line("omega beta one two", None);
        // Different first token: another branch of the tree, another cluster.
        assert_ne!(d, Some(a));
    }

    #[test]
    fn the_cluster_cap_bounds_memory() {
        let mut m = Miner::new(Params {
            max_clusters: 2,
            ..Params::default()
        });
        m.add_line("a", None);
        m.add_line("b c", None);
        assert_eq!(m.add_line("d e f", None), None);
        assert_eq!(m.overflow, 1);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_every_line_fits_its_template(lines in proptest::collection::vec("[a-c0-9 ]{0,20}", 0..40)) {
            let mut m = Miner::default();
            for l in &lines {
                if let Some(id) = m.add_line(l, None) {
                    let t = m.template(id);
                    let tt: Vec<&str> = t.split_whitespace().collect();
                    let lt: Vec<&str> = l.split_whitespace().collect();
                    proptest::prop_assert_eq!(tt.len(), lt.len());
                    for (a, b) in tt.iter().zip(&lt) {
                        proptest::prop_assert!(*a == PARAM || a == b);
                    }
                }
            }
        }
    }
}
