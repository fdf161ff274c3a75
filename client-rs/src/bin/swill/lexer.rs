//! Splitting a command line into flags and values, as POSIX tools do.
//!
//! The `swill` binary lives in the library's package, and a package's
//! dependencies are every user's: an argument-parsing crate here would be
//! compiled by every program that only wants the client library. So the
//! command line is read by this lexer and the table in `args.rs`.

/// One piece of the command line.
#[derive(Debug, PartialEq)]
pub(crate) enum Token {
    /// `-m` (one letter; `-mk=v` carries its value along).
    Short(char),
    /// `--metadata` (`--metadata=k=v` carries its value along).
    Long(String),
    /// Anything else: a positional argument. `-` alone, negative numbers
    /// (`-1` is a JSON request) and everything after `--` are values.
    Value(String),
}

/// Reads the arguments one token at a time.
pub(crate) struct Lexer {
    args: std::vec::IntoIter<String>,
    /// A value attached to the last flag (`--out=FILE`, `-oFILE`).
    attached: Option<String>,
    /// Past `--`: only values follow.
    values_only: bool,
}

impl Lexer {
    pub(crate) fn new(args: Vec<String>) -> Lexer {
        Lexer {
            args: args.into_iter(),
            attached: None,
            values_only: false,
        }
    }

    /// The next token, or `None` at the end. A value attached to the last
    /// flag that the flag did not take is an error.
    pub(crate) fn next_token(&mut self) -> Result<Option<Token>, String> {
        if let Some(value) = self.attached.take() {
            return Err(format!("unexpected value `{value}`: this flag takes none"));
        }
        let Some(arg) = self.args.next() else {
            return Ok(None);
        };
        if self.values_only {
            return Ok(Some(Token::Value(arg)));
        }
        if arg == "--" {
            self.values_only = true;
            return self.next_token();
        }
        if let Some(long) = arg.strip_prefix("--") {
            return Ok(Some(match long.split_once('=') {
                Some((name, value)) => {
                    self.attached = Some(value.to_owned());
                    Token::Long(name.to_owned())
                }
                None => Token::Long(long.to_owned()),
            }));
        }
        let mut chars = arg.chars();
        match (chars.next(), chars.next()) {
            (Some('-'), Some(letter)) if !letter.is_ascii_digit() && letter != '.' => {
                let rest: String = chars.collect();
                if !rest.is_empty() {
                    self.attached = Some(rest);
                }
                Ok(Some(Token::Short(letter)))
            }
            _ => Ok(Some(Token::Value(arg))),
        }
    }

    /// The value of the flag just read: attached to it, or the next
    /// argument.
    pub(crate) fn value(&mut self, flag: &str) -> Result<String, String> {
        self.attached
            .take()
            .or_else(|| self.args.next())
            .ok_or_else(|| format!("{flag} needs a value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(args: &[&str]) -> Vec<Token> {
        let mut lexer = Lexer::new(args.iter().map(|a| a.to_string()).collect());
        let mut out = Vec::new();
        while let Some(token) = lexer.next_token().unwrap() {
            out.push(token);
        }
        out
    }

    #[test]
    fn flags_values_and_the_double_dash() {
        use Token::*;
        let got = tokens(&["call", "-v", "--json", "-1", "-", "--", "--x"]);
        let want = [
            Value("call".into()),
            Short('v'),
            Long("json".into()),
            Value("-1".into()),
            Value("-".into()),
            Value("--x".into()),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn attached_values_go_to_their_flag_or_are_refused() {
        let args = ["--out=a.ts", "-mk=v", "--json=yes"].map(String::from);
        let mut lexer = Lexer::new(args.to_vec());
        assert_eq!(lexer.next_token(), Ok(Some(Token::Long("out".into()))));
        assert_eq!(lexer.value("--out").as_deref(), Ok("a.ts"));
        assert_eq!(lexer.next_token(), Ok(Some(Token::Short('m'))));
        assert_eq!(lexer.value("-m").as_deref(), Ok("k=v"));
        assert_eq!(lexer.next_token(), Ok(Some(Token::Long("json".into()))));
        assert!(lexer.next_token().is_err(), "--json takes no value");
        assert!(Lexer::new(vec![]).value("--out").is_err());
    }
}
