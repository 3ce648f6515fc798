//! SPDX licence expressions (SPDX specification, annex D): `MIT OR Apache-2.0`,
//! `GPL-2.0-only WITH Classpath-exception-2.0`, parentheses, `+`, `LicenseRef-…`; and the
//! allow/deny judgement of one, where `OR` means the user may choose.

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    License(String),
    With(String, String),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

fn tokens(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '(' | ')' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(ch.to_string());
            }
            c if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Parser {
    toks: Vec<String>,
    at: usize,
}

fn is_op(t: &str, op: &str) -> bool {
    t.eq_ignore_ascii_case(op)
}

fn valid_id(t: &str) -> bool {
    !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | ':'))
        && !["AND", "OR", "WITH"].iter().any(|op| is_op(t, op))
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.at).map(String::as_str)
    }
    fn next(&mut self) -> Option<String> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut items = vec![self.and()?];
        while self.peek().is_some_and(|t| is_op(t, "OR")) {
            self.next();
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }
    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut items = vec![self.with()?];
        while self.peek().is_some_and(|t| is_op(t, "AND")) {
            self.next();
            items.push(self.with()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }
    fn with(&mut self) -> Result<Expr, ExprError> {
        let base = self.atom()?;
        if self.peek().is_some_and(|t| is_op(t, "WITH")) {
            self.next();
            let exc = self
                .next()
                .filter(|t| valid_id(t))
                .ok_or(ExprError::new("expected an exception id after WITH"))?;
            return match base {
                Expr::License(l) => Ok(Expr::With(l, exc)),
                _ => Err(ExprError::new("WITH applies to a single licence")),
            };
        }
        Ok(base)
    }
    fn atom(&mut self) -> Result<Expr, ExprError> {
        match self.next() {
            Some(t) if t == "(" => {
                let e = self.or()?;
                match self.next() {
                    Some(c) if c == ")" => Ok(e),
                    _ => Err(ExprError::new("expected `)`")),
                }
            }
            Some(t) if valid_id(&t) => Ok(Expr::License(t)),
            Some(t) => Err(ExprError::new(format!("unexpected `{t}`"))),
            None => Err(ExprError::new("expression ends too early")),
        }
    }
}

/// Why a licence expression does not parse (the token and what was expected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExprError(String);

impl ExprError {
    fn new(why: impl Into<String>) -> Self {
        ExprError(why.into())
    }
}

/// Parses an SPDX licence expression.
pub fn parse(s: &str) -> Result<Expr, ExprError> {
    let mut p = Parser {
        toks: tokens(s),
        at: 0,
    };
    let e = p.or().map_err(|m| ExprError::new(format!("`{s}`: {m}")))?;
    if let Some(t) = p.peek() {
        return Err(ExprError::new(format!("`{s}`: unexpected `{t}`")));
    }
    Ok(e)
}

/// Allow and deny lists (licence ids, compared case-insensitively; `X WITH Y` may be listed
/// whole).
#[derive(Debug, Clone, Default)]
pub struct LicensePolicy {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl LicensePolicy {
    fn listed(list: &[String], id: &str) -> bool {
        list.iter().any(|l| l.eq_ignore_ascii_case(id))
    }

    fn one(&self, id: &str) -> bool {
        !Self::listed(&self.deny, id) && (self.allow.is_empty() || Self::listed(&self.allow, id))
    }

    /// Whether the expression can be complied with: an `OR` needs one acceptable choice, an
    /// `AND` all of its parts.
    pub fn accepts(&self, e: &Expr) -> bool {
        match e {
            Expr::License(l) => self.one(l),
            Expr::With(l, x) => {
                let whole = format!("{l} WITH {x}");
                !Self::listed(&self.deny, &whole)
                    && (Self::listed(&self.allow, &whole) || self.one(l))
            }
            Expr::And(items) => items.iter().all(|i| self.accepts(i)),
            Expr::Or(items) => items.iter().any(|i| self.accepts(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_precedence_with_and_parentheses() {
        assert_eq!(
            parse("MIT OR Apache-2.0 AND BSD-3-Clause").unwrap(),
            Expr::Or(vec![
                Expr::License("MIT".into()),
                Expr::And(vec![
                    Expr::License("Apache-2.0".into()),
                    Expr::License("BSD-3-Clause".into())
                ])
            ])
        );
        assert_eq!(
            parse("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0").unwrap(),
            Expr::And(vec![
                Expr::Or(vec![
                    Expr::License("MIT".into()),
                    Expr::License("Apache-2.0".into())
                ]),
                Expr::With("GPL-2.0-only".into(), "Classpath-exception-2.0".into())
            ])
        );
        for bad in [
            "",
            "MIT OR",
            "(MIT",
            "MIT)",
            "AND MIT",
            "MIT WITH",
            "(MIT OR X) WITH Y",
            "MIT Apache",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn or_needs_one_choice_and_needs_all() {
        let p = LicensePolicy {
            allow: vec!["MIT".into(), "Apache-2.0".into()],
            deny: vec!["GPL-3.0-only".into()],
        };
        assert!(p.accepts(&parse("MIT OR GPL-3.0-only").unwrap()));
        assert!(!p.accepts(&parse("MIT AND GPL-3.0-only").unwrap()));
        assert!(
            !p.accepts(&parse("BSD-3-Clause").unwrap()),
            "not on the allow list"
        );
        assert!(
            p.accepts(&parse("mit or bsd-3-clause").unwrap()),
            "operators and ids case-insensitive"
        );
        let deny_only = LicensePolicy {
            allow: vec![],
            deny: vec!["GPL-2.0-only WITH Classpath-exception-2.0".into()],
        };
        assert!(!deny_only.accepts(&parse("GPL-2.0-only WITH Classpath-exception-2.0").unwrap()));
        assert!(deny_only.accepts(&parse("GPL-2.0-only").unwrap()));
    }

    proptest::proptest! {
        #[test]
        fn parser_never_panics(s in "[A-Za-z0-9 ()+.-]{0,60}") {
            let _ = parse(&s);
        }
    }
}
