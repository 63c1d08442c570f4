//! `db.operation.name` of a Redis call for the metrics: the command's name as a static string,
//! so the series of a command is bound once and found again without allocating.

use redis::Arg;

use super::call::Request;
use super::idempotency::{READS, SAME_STATE_WRITES};

/// Frequent commands that are in neither of `idempotency`'s lists.
const OTHER_COMMANDS: &[&str] = &[
    "APPEND",
    "BLPOP",
    "BRPOP",
    "DECR",
    "DECRBY",
    "EVAL",
    "EVALSHA",
    "FCALL",
    "GETDEL",
    "GETEX",
    "GETSET",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HSETNX",
    "INCR",
    "INCRBY",
    "INCRBYFLOAT",
    "LINSERT",
    "LMOVE",
    "LPOP",
    "LPUSH",
    "LREM",
    "LTRIM",
    "MSETNX",
    "PUBLISH",
    "RENAME",
    "RPOP",
    "RPUSH",
    "SETNX",
    "SMOVE",
    "SPOP",
    "XADD",
    "XDEL",
    "XREAD",
    "XREADGROUP",
    "XTRIM",
    "ZINCRBY",
    "ZPOPMAX",
    "ZPOPMIN",
    "ZREMRANGEBYSCORE",
];

/// The command's name in upper case (`PIPELINE` for a pipeline, a Redis term the conventions
/// allow for a batch); `None` for a command none of the lists knows, which keeps the metric's
/// series few whatever the application sends.
pub(super) fn name(request: Request<'_>) -> Option<&'static str> {
    let Request::Command(cmd) = request else {
        return Some("PIPELINE");
    };
    let first = cmd.args_iter().next().and_then(|arg| match arg {
        Arg::Simple(bytes) => Some(bytes),
        _ => None,
    })?;
    [READS, SAME_STATE_WRITES, OTHER_COMMANDS]
        .into_iter()
        .flatten()
        .find(|known| known.as_bytes().eq_ignore_ascii_case(first))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_commands_are_named_and_others_not() {
        assert_eq!(name(Request::Command(&redis::cmd("get"))), Some("GET"));
        assert_eq!(name(Request::Command(&redis::cmd("LPUSH"))), Some("LPUSH"));
        assert_eq!(name(Request::Command(&redis::cmd("MY.MODULE"))), None);
        assert_eq!(name(Request::Pipeline(&redis::pipe())), Some("PIPELINE"));
    }
}
