//! Expression code: what compile turns an expression into and evaluation
//! runs. Variables are slot indices, functions are registry indices,
//! templates are pre-split literal/expression parts.

use std::sync::Arc;

use crate::runtime::Value;

/// Slot of a variable in a run's variable table.
///
/// ```
/// // A VarId comes from ActionCall::variable for a variable-name property.
/// fn bump(call: &mut studioflow::ActionCall<'_>) -> Result<studioflow::BranchId, studioflow::ActionError> {
///     let var: studioflow::VarId = call.variable(0).expect("declared as a variable property");
///     let n = call.get(var).as_number().unwrap_or(0.0);
///     call.set(var, (n + 1.0).into());
///     Ok(studioflow::BranchId::DEFAULT)
/// }
/// let _ = bump;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub(crate) u32);

/// Identifies a registered function; resolved at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionId(pub(crate) u32);

/// A compiled expression.
#[derive(Debug, Clone)]
pub(crate) enum Code {
    Const(Value),
    Var(VarId),
    Template(Box<[Piece]>),
    List(Box<[Code]>),
    Member(Box<Code>, MemberName),
    Index(Box<Code>, Box<Code>),
    Neg(Box<Code>),
    Not(Box<Code>),
    And(Box<Code>, Box<Code>),
    Or(Box<Code>, Box<Code>),
    Binary(BinaryOp, Box<Code>, Box<Code>),
    Call(FunctionId, Box<[Code]>),
}

/// The name in `a.name`, with where it was found last.
///
/// Objects of one shape (an agent, a REST response) keep their members in
/// the same order, so the position `name` had last time is checked first
/// (one key compared) before the hash lookup. The hint is only a guess,
/// always verified: a script shared by threads may see it change under it.
/// Relaxed loads and stores (plain moves): no locked instruction.
pub(crate) struct MemberName {
    pub name: Arc<str>,
    hint: std::sync::atomic::AtomicU32,
    /// The security-user field this name reads, found once here (a
    /// security user's members are a closed set): reading
    /// `SecurityUser.userName` compares no text.
    pub user_field: Option<crate::runtime::value::UserField>,
}

impl MemberName {
    pub fn new(name: Arc<str>) -> MemberName {
        MemberName {
            user_field: crate::runtime::value::UserField::of(&name),
            name,
            hint: std::sync::atomic::AtomicU32::new(u32::MAX),
        }
    }

    /// The member `name` of `map`.
    #[inline]
    pub fn find<'m>(&self, map: &'m crate::runtime::Object) -> Option<&'m Value> {
        use std::sync::atomic::Ordering::Relaxed;
        let hint = self.hint.load(Relaxed) as usize;
        if let Some((key, value)) = map.get_index(hint) {
            if **key == *self.name {
                return Some(value);
            }
        }
        let (index, _, value) = map.get_full(&*self.name)?;
        if let Ok(index) = u32::try_from(index) {
            self.hint.store(index, Relaxed);
        }
        Some(value)
    }
}

impl std::ops::Deref for MemberName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.name
    }
}

impl Clone for MemberName {
    fn clone(&self) -> MemberName {
        MemberName::new(self.name.clone())
    }
}

impl std::fmt::Debug for MemberName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.name, f)
    }
}

/// One part of a compiled template.
#[derive(Debug, Clone)]
pub(crate) enum Piece {
    Text(Arc<str>),
    Expr(Code),
}

/// An infix operator of compiled code (`and`/`or` short-circuit and have
/// their own [`Code`] variants, but evaluation knows them here too).
///
/// The parser's `syntax::ast::BinaryOp` is the operator as written; this is
/// the one the runtime evaluates, so the runtime needs nothing of syntax.
/// Compile maps one onto the other ([`BinaryOp::from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    Xor,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    IntDiv,
    Mod,
    Pow,
}

impl BinaryOp {
    /// The operator as written in messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::Xor => "~",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::IntDiv => "\\",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
        }
    }
}

impl From<crate::syntax::ast::BinaryOp> for BinaryOp {
    fn from(op: crate::syntax::ast::BinaryOp) -> Self {
        use crate::syntax::ast::BinaryOp as Written;
        match op {
            Written::Or => BinaryOp::Or,
            Written::Xor => BinaryOp::Xor,
            Written::And => BinaryOp::And,
            Written::Eq => BinaryOp::Eq,
            Written::Ne => BinaryOp::Ne,
            Written::Lt => BinaryOp::Lt,
            Written::Le => BinaryOp::Le,
            Written::Gt => BinaryOp::Gt,
            Written::Ge => BinaryOp::Ge,
            Written::Add => BinaryOp::Add,
            Written::Sub => BinaryOp::Sub,
            Written::Mul => BinaryOp::Mul,
            Written::Div => BinaryOp::Div,
            Written::IntDiv => BinaryOp::IntDiv,
            Written::Mod => BinaryOp::Mod,
            Written::Pow => BinaryOp::Pow,
        }
    }
}

/// What compile knows of a function: its id and how many arguments it
/// takes.
pub(crate) struct Signature<'a> {
    pub id: FunctionId,
    /// The name as registered (messages show it).
    pub name: &'a str,
    pub min_args: usize,
    pub max_args: usize,
}

/// The function table as compile reads it: signatures by name. The
/// runtime's function registry implements it; compile never sees the
/// functions themselves.
pub(crate) trait Signatures {
    /// The function named `name` (ignoring ASCII case).
    fn signature(&self, name: &str) -> Option<Signature<'_>>;
    /// Every function's name, as registered (for "did you mean").
    fn names(&self) -> Box<dyn Iterator<Item = &str> + '_>;
}

#[cfg(test)]
mod member_name_tests {
    use super::*;
    use crate::runtime::Object;

    fn object(pairs: &[(&str, f64)]) -> Object {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), Value::from(*v)))
            .collect()
    }

    #[test]
    fn a_stale_position_is_checked_never_trusted() {
        let name = MemberName::new(Arc::from("b"));
        let ab = object(&[("a", 1.0), ("b", 2.0)]);
        let ba = object(&[("b", 3.0), ("a", 4.0)]);
        let ca = object(&[("c", 5.0), ("a", 6.0)]);
        // Each object's own member, whatever position the last one had.
        for _ in 0..2 {
            assert_eq!(name.find(&ab), Some(&Value::from(2.0)));
            assert_eq!(name.find(&ba), Some(&Value::from(3.0)));
            // Position 0 holds another key here: no member, not "c".
            assert_eq!(name.find(&ca), None);
            assert_eq!(name.find(&Object::default()), None);
        }
        // A clone starts with no position and answers the same.
        assert_eq!(name.clone().find(&ab), Some(&Value::from(2.0)));
    }
}
