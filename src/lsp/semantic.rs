//! Semantic tokens: what each name is (an action id, an action type, a
//! property, a branch, a variable, a function), read from the syntax tree.
//! Strings, numbers, comments and Snippet keywords are the TextMate
//! grammar's (editors/vscode); the tokens here never overlap.

use lsp_types::{
    SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokens, SemanticTokensLegend,
    SemanticTokensParams, SemanticTokensResult,
};

use super::documents::DocumentKind;
use super::session::Session;
use crate::syntax::ast::{Expr, ExprKind, TemplatePart};
use crate::Span;

const TYPES: [SemanticTokenType; 6] = [
    SemanticTokenType::FUNCTION,    // 0: an action id
    SemanticTokenType::TYPE,        // 1: an action type
    SemanticTokenType::PROPERTY,    // 2: a property name
    SemanticTokenType::ENUM_MEMBER, // 3: a branch name
    SemanticTokenType::VARIABLE,    // 4: a variable
    SemanticTokenType::METHOD,      // 5: a function call
];
const DECLARATION: u32 = 1; // modifier bit 0

/// The legend `initialize` announces.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![SemanticTokenModifier::DECLARATION],
    }
}

/// `textDocument/semanticTokens/full`.
pub fn full(session: &Session, params: &SemanticTokensParams) -> Option<SemanticTokensResult> {
    let document = session.documents.get(&params.text_document.uri)?;
    if document.kind != DocumentKind::Script {
        return Some(SemanticTokensResult::Tokens(SemanticTokens::default()));
    }
    let view = document.view();
    let index = session.index(document);
    // (span, type, modifiers)
    let mut tokens: Vec<(Span, u32, u32)> = Vec::new();
    for action in &view.parsed.ast.actions {
        tokens.push((action.id_span, 0, DECLARATION));
        tokens.push((action.type_span, 1, 0));
        for property in &action.properties {
            tokens.push((property.name_span, 2, 0));
            calls(&property.value, &mut tokens);
        }
        for branch in &action.branches {
            tokens.push((branch.name_span, 3, 0));
            tokens.push((branch.target_span, 0, 0));
        }
    }
    for variable in &index.variables {
        tokens.push((
            variable.span,
            4,
            if variable.write { DECLARATION } else { 0 },
        ));
    }
    tokens.sort_by_key(|(span, _, _)| (span.start, span.end));
    let text = &document.text;
    let mut data = Vec::with_capacity(tokens.len());
    let (mut last_line, mut last_start, mut last_end) = (0u32, 0u32, 0usize);
    for (span, kind, modifiers) in tokens {
        // No overlaps, nothing empty, one line each (a name never spans lines).
        if span.start < last_end
            || span.is_empty()
            || text
                .get(span.start..span.end)
                .is_none_or(|s| s.contains(['\n', '\r']))
        {
            continue;
        }
        let start = document.lines.position(text, span.start);
        let end = document.lines.position(text, span.end);
        let delta_line = start.line - last_line;
        let delta_start = if delta_line == 0 {
            start.character - last_start
        } else {
            start.character
        };
        data.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type: kind,
            token_modifiers_bitset: modifiers,
        });
        last_line = start.line;
        last_start = start.character;
        last_end = span.end;
    }
    Some(SemanticTokensResult::Tokens(SemanticTokens {
        result_id: None,
        data,
    }))
}

/// Function names called in an expression.
fn calls(expr: &Expr, tokens: &mut Vec<(Span, u32, u32)>) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.kind {
            ExprKind::Call(_, name_span, args) => {
                tokens.push((*name_span, 5, 0));
                stack.extend(args);
            }
            ExprKind::Template(parts) => {
                for part in parts {
                    if let TemplatePart::Expr(inner) = part {
                        stack.push(inner);
                    }
                }
            }
            ExprKind::List(items) => stack.extend(items),
            ExprKind::Member(a, _) | ExprKind::Unary(_, a) => stack.push(a),
            ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Literal(_) | ExprKind::Variable(_) => {}
        }
    }
}
