//! Which commands may be sent again after a try that may have reached the server (a timeout, a
//! connection lost mid-call): those that read, and those that write the same state however
//! often they run. Anything else (`INCR`, `LPUSH`, `EVAL`, `SET … NX`, unknown commands) is
//! sent again only when the caller or the connection opts in.

use redis::{Arg, Cmd, Pipeline};

/// Commands that only read.
pub(super) const READS: &[&str] = &[
    "BITCOUNT",
    "BITPOS",
    "DBSIZE",
    "DUMP",
    "ECHO",
    "EVALSHA_RO",
    "EVAL_RO",
    "EXISTS",
    "EXPIRETIME",
    "FCALL_RO",
    "GEODIST",
    "GEOHASH",
    "GEOPOS",
    "GEOSEARCH",
    "GET",
    "GETBIT",
    "GETRANGE",
    "HEXISTS",
    "HGET",
    "HGETALL",
    "HKEYS",
    "HLEN",
    "HMGET",
    "HRANDFIELD",
    "HSCAN",
    "HSTRLEN",
    "HVALS",
    "INFO",
    "KEYS",
    "LCS",
    "LINDEX",
    "LLEN",
    "LPOS",
    "LRANGE",
    "MGET",
    "PEXPIRETIME",
    "PFCOUNT",
    "PING",
    "PTTL",
    "RANDOMKEY",
    "SCAN",
    "SCARD",
    "SDIFF",
    "SINTER",
    "SINTERCARD",
    "SISMEMBER",
    "SMEMBERS",
    "SMISMEMBER",
    "SORT_RO",
    "SRANDMEMBER",
    "SSCAN",
    "STRLEN",
    "SUBSTR",
    "SUNION",
    "TIME",
    "TTL",
    "TYPE",
    "XINFO",
    "XLEN",
    "XPENDING",
    "XRANGE",
    "XREVRANGE",
    "ZCARD",
    "ZCOUNT",
    "ZDIFF",
    "ZINTER",
    "ZINTERCARD",
    "ZLEXCOUNT",
    "ZMSCORE",
    "ZRANDMEMBER",
    "ZRANGE",
    "ZRANGEBYLEX",
    "ZRANGEBYSCORE",
    "ZRANK",
    "ZREVRANGE",
    "ZREVRANGEBYLEX",
    "ZREVRANGEBYSCORE",
    "ZREVRANK",
    "ZSCAN",
    "ZSCORE",
    "ZUNION",
];

/// Commands that write, leaving the same state when run twice.
pub(super) const SAME_STATE_WRITES: &[&str] = &[
    "DEL",
    "EXPIRE",
    "EXPIREAT",
    "GEOADD",
    "HDEL",
    "HMSET",
    "HSET",
    "LSET",
    "MSET",
    "PERSIST",
    "PEXPIRE",
    "PEXPIREAT",
    "PFADD",
    "PSETEX",
    "SADD",
    "SET",
    "SETBIT",
    "SETEX",
    "SETRANGE",
    "SREM",
    "UNLINK",
    "XACK",
    "ZADD",
    "ZREM",
];

/// Options that make an otherwise idempotent write conditional or incremental: sent twice, the
/// second reply would mislead (a lock taken by the first `SET … NX` looks taken by someone else).
const CONDITIONAL_OPTIONS: &[&str] = &["NX", "XX", "GET", "INCR", "GT", "LT", "CH"];

/// Whether `cmd` may be sent again after it may have reached the server.
///
/// ```text
/// GET k            → true     SET k v EX 10 → true    DEL k      → true
/// INCR k           → false    SET k v NX    → false   EVAL …     → false
/// ```
pub(super) fn command(cmd: &Cmd) -> bool {
    let mut args = cmd.args_iter().filter_map(|arg| match arg {
        Arg::Simple(bytes) => Some(bytes),
        _ => None,
    });
    let Some(name) = args.next().map(upper) else {
        return false;
    };
    if READS.contains(&name.as_str()) {
        return true;
    }
    if !SAME_STATE_WRITES.contains(&name.as_str()) {
        return false;
    }
    // Keys and values are arguments too; an option word among them only makes the command
    // count as non-idempotent, which is the safe side.
    !args.any(|arg| arg.len() <= 4 && CONDITIONAL_OPTIONS.contains(&upper(arg).as_str()))
}

/// Whether every command of `pipeline` may be sent again.
pub(super) fn pipeline(pipeline: &Pipeline) -> bool {
    pipeline.cmd_iter().all(command)
}

fn upper(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_plain_writes_are_idempotent() {
        assert!(command(redis::cmd("get").arg("k")));
        assert!(command(redis::cmd("SET").arg("k").arg("v").arg("EX").arg(10)));
        assert!(command(redis::cmd("DEL").arg("a").arg("b")));
        assert!(command(redis::cmd("HGETALL").arg("h")));
    }

    #[test]
    fn increments_conditionals_and_unknown_commands_are_not() {
        assert!(!command(redis::cmd("INCR").arg("k")));
        assert!(!command(
            redis::cmd("SET")
                .arg("lock")
                .arg("me")
                .arg("NX")
                .arg("PX")
                .arg(100)
        ));
        assert!(!command(redis::cmd("SET").arg("k").arg("v").arg("get")));
        assert!(!command(redis::cmd("ZADD").arg("z").arg("INCR").arg(1).arg("m")));
        assert!(!command(redis::cmd("EVAL").arg("return 1").arg(0)));
        assert!(!command(redis::cmd("LPUSH").arg("l").arg("x")));
        assert!(!command(&redis::Cmd::new()));
    }

    #[test]
    fn a_pipeline_is_idempotent_when_every_command_is() {
        let mut pipe = redis::pipe();
        pipe.get("a").set("b", 1);
        assert!(pipeline(&pipe));
        pipe.incr("c", 1);
        assert!(!pipeline(&pipe));
    }
}
