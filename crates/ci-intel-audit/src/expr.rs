//! GitHub Actions expressions (`${{ … }}`): finding them in text, parsing them, and working out
//! what an expression can expand to.
//!
//! The parser covers the documented grammar: literals (`null`, booleans, numbers, `'strings'`),
//! context references with `.name`, `.*` and `[index]`, function calls, `!`, comparisons, `&&`
//! and `||`. Audits use it to tell a comparison (a boolean, harmless in a script) from a value
//! that passes attacker-controlled text through (`format()`, `a || b`, `toJSON()`).

/// An expression occurrence in a text: the byte range of `${{ … }}` and its inner source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence<'a> {
    pub start: usize,
    pub end: usize,
    pub inner: &'a str,
}

/// Every `${{ … }}` in `text`, honouring quotes inside the expression (a `}}` inside a string
/// literal does not end it).
pub fn occurrences(text: &str) -> Vec<Occurrence<'_>> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(rel) = text.get(i..).and_then(|t| t.find("${{")) {
        let start = i + rel;
        let mut j = start + 3;
        let mut in_string = false;
        let mut end = None;
        while j < bytes.len() {
            match bytes[j] {
                b'\'' => {
                    // '' inside a string is an escaped quote.
                    if in_string && bytes.get(j + 1) == Some(&b'\'') {
                        j += 2;
                        continue;
                    }
                    in_string = !in_string;
                }
                b'}' if !in_string && bytes.get(j + 1) == Some(&b'}') => {
                    end = Some(j + 2);
                    break;
                }
                _ => {}
            }
            j += 1;
        }
        match end {
            Some(e) => {
                out.push(Occurrence {
                    start,
                    end: e,
                    inner: text.get(start + 3..e - 2).unwrap_or("").trim(),
                });
                i = e;
            }
            None => break,
        }
    }
    out
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    /// A context reference, as path segments: `github.event.issue.title` →
    /// `["github", "event", "issue", "title"]`; `.*` and computed indexes are `"*"`.
    Context(Vec<String>),
    Call(String, Vec<Expr>),
    /// `x[...]` on something that is not a plain context path (e.g. a call's result).
    Index(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// Comparison operators: always a boolean.
    Compare(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    Dot,
    Star,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Not,
    And,
    Or,
    Cmp,
}

fn lex(s: &str) -> Option<Vec<Tok>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'.' if !b.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                out.push(Tok::Dot);
                i += 1;
            }
            b'*' => {
                out.push(Tok::Star);
                i += 1;
            }
            b'(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            b')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            b'[' => {
                out.push(Tok::LBracket);
                i += 1;
            }
            b']' => {
                out.push(Tok::RBracket);
                i += 1;
            }
            b',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            b'!' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Cmp);
                i += 2;
            }
            b'!' => {
                out.push(Tok::Not);
                i += 1;
            }
            b'=' if b.get(i + 1) == Some(&b'=') => {
                out.push(Tok::Cmp);
                i += 2;
            }
            b'<' | b'>' => {
                out.push(Tok::Cmp);
                i += if b.get(i + 1) == Some(&b'=') { 2 } else { 1 };
            }
            b'&' if b.get(i + 1) == Some(&b'&') => {
                out.push(Tok::And);
                i += 2;
            }
            b'|' if b.get(i + 1) == Some(&b'|') => {
                out.push(Tok::Or);
                i += 2;
            }
            b'\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    let ch = *b.get(i)?;
                    if ch == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            v.push('\'');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    let ch_str = s.get(i..)?.chars().next()?;
                    v.push(ch_str);
                    i += ch_str.len_utf8();
                }
                out.push(Tok::Str(v));
            }
            b'0'..=b'9' | b'-' | b'.' => {
                let start = i;
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                let text = s.get(start..i)?;
                let n = if let Some(hex) = text.strip_prefix("0x") {
                    i64::from_str_radix(hex, 16).ok()? as f64
                } else {
                    text.parse().ok()?
                };
                out.push(Tok::Num(n));
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-')
                {
                    i += 1;
                }
                out.push(Tok::Ident(s.get(start..i)?.to_owned()));
            }
            _ => return None,
        }
    }
    Some(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// Deeper nesting than this is refused rather than risk the stack.
const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Option<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let mut l = self.and()?;
        while self.eat(&Tok::Or) {
            let r = self.and()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        self.depth -= 1;
        Some(l)
    }
    fn and(&mut self) -> Option<Expr> {
        let mut l = self.cmp()?;
        while self.eat(&Tok::And) {
            let r = self.cmp()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Some(l)
    }
    fn cmp(&mut self) -> Option<Expr> {
        let mut l = self.unary()?;
        while self.eat(&Tok::Cmp) {
            let r = self.unary()?;
            l = Expr::Compare(Box::new(l), Box::new(r));
        }
        Some(l)
    }
    fn unary(&mut self) -> Option<Expr> {
        if self.eat(&Tok::Not) {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return None;
            }
            let e = self.unary()?;
            self.depth -= 1;
            return Some(Expr::Not(Box::new(e)));
        }
        self.postfix()
    }
    fn postfix(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.eat(&Tok::Dot) {
                let seg = match self.toks.get(self.pos)? {
                    Tok::Ident(s) => s.clone(),
                    Tok::Star => "*".to_owned(),
                    _ => return None,
                };
                self.pos += 1;
                e = match e {
                    Expr::Context(mut p) => {
                        p.push(seg);
                        Expr::Context(p)
                    }
                    other => Expr::Index(Box::new(other), Box::new(Expr::Str(seg))),
                };
            } else if self.eat(&Tok::LBracket) {
                let idx = self.or()?;
                if !self.eat(&Tok::RBracket) {
                    return None;
                }
                e = match (e, idx) {
                    (Expr::Context(mut p), Expr::Str(s)) => {
                        p.push(s);
                        Expr::Context(p)
                    }
                    (Expr::Context(mut p), _) => {
                        p.push("*".to_owned());
                        Expr::Context(p)
                    }
                    (other, idx) => Expr::Index(Box::new(other), Box::new(idx)),
                };
            } else {
                return Some(e);
            }
        }
    }
    fn primary(&mut self) -> Option<Expr> {
        let t = self.toks.get(self.pos)?.clone();
        self.pos += 1;
        match t {
            Tok::Num(n) => Some(Expr::Number(n)),
            Tok::Str(s) => Some(Expr::Str(s)),
            Tok::LParen => {
                let e = self.or()?;
                self.eat(&Tok::RParen).then_some(e)
            }
            Tok::Ident(id) => match id.as_str() {
                "true" => Some(Expr::Bool(true)),
                "false" => Some(Expr::Bool(false)),
                "null" => Some(Expr::Null),
                _ if self.peek() == Some(&Tok::LParen) => {
                    self.pos += 1;
                    let mut args = Vec::new();
                    if !self.eat(&Tok::RParen) {
                        loop {
                            args.push(self.or()?);
                            if self.eat(&Tok::RParen) {
                                break;
                            }
                            if !self.eat(&Tok::Comma) {
                                return None;
                            }
                        }
                    }
                    Some(Expr::Call(id.to_ascii_lowercase(), args))
                }
                _ => Some(Expr::Context(vec![id.to_ascii_lowercase()])),
            },
            _ => None,
        }
    }
}

/// Parses the inside of `${{ … }}`; `None` when it is not a valid expression.
pub fn parse(s: &str) -> Option<Expr> {
    let toks = lex(s)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    (p.pos == p.toks.len()).then_some(e)
}

/// Context paths whose value can flow into the expression's result (what the expression can
/// expand to), as dotted strings. Comparisons, `!`, and boolean functions contribute nothing.
pub fn value_sources(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    collect(e, &mut out);
    out
}

fn collect(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Null | Expr::Bool(_) | Expr::Number(_) | Expr::Str(_) => {}
        Expr::Context(p) => out.push(p.join(".")),
        Expr::Not(_) | Expr::Compare(_, _) => {}
        Expr::And(a, b) | Expr::Or(a, b) => {
            // `a && b` evaluates to `b` (or a falsy `a`), `a || b` to either.
            collect(a, out);
            collect(b, out);
        }
        Expr::Index(base, _) => collect(base, out),
        Expr::Call(name, args) => match name.as_str() {
            // Boolean and status functions, and hashes: no text of the arguments comes out.
            "contains" | "startswith" | "endswith" | "success" | "failure" | "always"
            | "cancelled" | "hashfiles" => {}
            _ => args.iter().for_each(|a| collect(a, out)),
        },
    }
}

/// Every context path the expression mentions (for audits that care about mentions, such as
/// `toJSON(secrets)`), with the call it appears in.
pub fn calls<'e>(e: &'e Expr, out: &mut Vec<(&'e str, &'e [Expr])>) {
    match e {
        Expr::Call(name, args) => {
            out.push((name.as_str(), args.as_slice()));
            for a in args {
                calls(a, out);
            }
        }
        Expr::Index(a, b) | Expr::Compare(a, b) | Expr::And(a, b) | Expr::Or(a, b) => {
            calls(a, out);
            calls(b, out);
        }
        Expr::Not(a) => calls(a, out),
        _ => {}
    }
}

/// Whether dotted `path` matches `pattern`, where `*` in the pattern matches one segment.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut p = pattern.split('.');
    let mut q = path.split('.');
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == "*" || b == "*" || a.eq_ignore_ascii_case(b) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_occurrences() {
        let t = "echo ${{ github.head_ref }} and ${{ format('}}{0}', x) }}";
        let o = occurrences(t);
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].inner, "github.head_ref");
        assert_eq!(&t[o[0].start..o[0].end], "${{ github.head_ref }}");
        assert_eq!(o[1].inner, "format('}}{0}', x)");
        assert!(occurrences("${{ unterminated").is_empty());
    }

    #[test]
    fn parses_paths_calls_and_operators() {
        assert_eq!(
            parse("github.event.issue.title").unwrap(),
            Expr::Context(vec![
                "github".into(),
                "event".into(),
                "issue".into(),
                "title".into()
            ])
        );
        assert_eq!(
            parse("github.event['pull_request'].head.ref").unwrap(),
            Expr::Context(
                ["github", "event", "pull_request", "head", "ref"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            value_sources(&parse("github.event.pull_request.number == 3 && 'x' || 'y'").unwrap()),
            Vec::<String>::new()
        );
        assert_eq!(
            value_sources(&parse("format('{0} {1}', github.head_ref, inputs.name)").unwrap()),
            vec!["github.head_ref", "inputs.name"]
        );
        assert_eq!(
            value_sources(&parse("contains(github.event.issue.title, 'bug')").unwrap()),
            Vec::<String>::new()
        );
        assert_eq!(
            value_sources(
                &parse("steps.meta.outputs.tags || github.event.commits.*.message").unwrap()
            ),
            vec!["steps.meta.outputs.tags", "github.event.commits.*.message"]
        );
        assert_eq!(
            value_sources(&parse("fromJSON(needs.plan.outputs.matrix)[0]").unwrap()),
            vec!["needs.plan.outputs.matrix"]
        );
        assert!(parse("a ==").is_none());
        assert!(parse("'unterminated").is_none());
        assert_eq!(parse("-1.5e3").unwrap(), Expr::Number(-1500.0));
        assert_eq!(parse("0xff").unwrap(), Expr::Number(255.0));
    }

    #[test]
    fn path_patterns() {
        assert!(path_matches(
            "github.event.commits.*.message",
            "github.event.commits.*.message"
        ));
        assert!(path_matches(
            "github.event.pages.*.page_name",
            "github.event.pages.0.page_name"
        ));
        assert!(!path_matches(
            "github.event.issue.title",
            "github.event.issue"
        ));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = parse(&s);
            let _ = occurrences(&s);
        }

        #[test]
        fn deep_nesting_is_refused_not_a_stack_overflow(n in 100usize..5000) {
            let s = format!("{}x{}", "(".repeat(n), ")".repeat(n));
            proptest::prop_assert!(parse(&s).is_none());
            let s = format!("{}x", "!".repeat(n));
            proptest::prop_assert!(parse(&s).is_none());
        }
    }
}
