//! `swill introspect`'s table: one row per rpc, columns aligned.

use swill_client::{CallShape, RpcDescription};

const HEADER: [&str; 5] = ["NAME", "SHAPE", "REQUEST", "RESPONSE", "DESCRIPTION"];

/// The rpcs as an aligned table, types in Python notation
/// (`tuple[int, int]`), descriptions cut to their first paragraph.
pub(crate) fn render(rpcs: &[RpcDescription]) -> String {
    let rows: Vec<[String; 5]> = rpcs.iter().map(row).collect();
    let mut widths = HEADER.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = HEADER.map(str::to_owned);
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn row(rpc: &RpcDescription) -> [String; 5] {
    let shape = match rpc.shape() {
        CallShape::Unary => "unary",
        CallShape::ServerStreaming => "server stream",
        CallShape::ClientStreaming => "client stream",
        CallShape::Bidirectional => "bidi",
    };
    let description = rpc.description.as_deref().unwrap_or("");
    [
        rpc.name.clone(),
        shape.to_owned(),
        rpc.request.ty.to_string(),
        rpc.response.ty.to_string(),
        first_paragraph(description),
    ]
}

/// The description up to its first blank line, on one line.
fn first_paragraph(text: &str) -> String {
    let lines = text.lines().map(str::trim).take_while(|l| !l.is_empty());
    lines.collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use swill_client::proto::{MessageDesc, TypeDesc};

    use super::*;

    #[test]
    fn columns_line_up() {
        let int = || TypeDesc::named("int");
        let add = RpcDescription {
            name: "add".into(),
            request: MessageDesc {
                streams: false,
                ty: TypeDesc::generic("tuple", vec![int(), int()]),
            },
            response: MessageDesc {
                streams: false,
                ty: int(),
            },
            description: Some("Adds two\nnumbers.\n\nMore.".into()),
            request_schema: None,
            response_schema: None,
        };
        let expected = "\
NAME  SHAPE  REQUEST          RESPONSE  DESCRIPTION
add   unary  tuple[int, int]  int       Adds two numbers.
";
        assert_eq!(render(&[add]), expected);
    }
}
