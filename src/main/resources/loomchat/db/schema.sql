-- loomchat schema. Run at every start; every statement is idempotent.
-- Portable SQL: it runs on the embedded H2 and on any database with these types.

-- Accounts. The password is kept only as a salted PBKDF2 hash.
-- seq_reserved: seq numbers up to this are durably reserved for the user's inbox (see ChatStore).
CREATE TABLE IF NOT EXISTS users (
    name          VARCHAR(32)  NOT NULL PRIMARY KEY,
    salt          VARBINARY(32) NOT NULL,
    password_hash VARBINARY(64) NOT NULL,
    iterations    INT          NOT NULL,
    seq_reserved  BIGINT       NOT NULL DEFAULT 0,
    last_seen     BIGINT       NOT NULL DEFAULT 0,
    created       BIGINT       NOT NULL
);

-- Login tokens, stored as SHA-256 of the token: a leaked table does not log anyone in.
CREATE TABLE IF NOT EXISTS tokens (
    token_hash VARBINARY(32) NOT NULL PRIMARY KEY,
    user_name  VARCHAR(32)   NOT NULL,
    expires    BIGINT        NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens(user_name);

-- Inbox items not yet acknowledged (transient storage: a row lives until its ack).
-- frame is the item exactly as it is sent on the wire.
CREATE TABLE IF NOT EXISTS inbox (
    user_name VARCHAR(32)  NOT NULL,
    seq       BIGINT       NOT NULL,
    frame     VARCHAR(1048576) NOT NULL,
    PRIMARY KEY (user_name, seq)
);

-- Idempotency keys of recent sends: a retried send returns the first answer.
CREATE TABLE IF NOT EXISTS send_keys (
    user_name  VARCHAR(32)  NOT NULL,
    request_id VARCHAR(64)  NOT NULL,
    msg        VARCHAR(256) NOT NULL,
    ts         BIGINT       NOT NULL,
    PRIMARY KEY (user_name, request_id)
);

-- Server-wide values, such as the key that signs message ids.
CREATE TABLE IF NOT EXISTS server_meta (
    meta_key   VARCHAR(64)    NOT NULL PRIMARY KEY,
    meta_value VARBINARY(256) NOT NULL
);

-- Uploaded media (the bytes are files under <data-dir>/media, named by id). A row is written
-- before its file appears and deleted after it goes; rows older than media_ttl read as absent.
CREATE TABLE IF NOT EXISTS media (
    id      VARCHAR(32)  NOT NULL PRIMARY KEY,
    owner   VARCHAR(32)  NOT NULL,
    mime    VARCHAR(255) NOT NULL,
    size    BIGINT       NOT NULL,
    sha256  CHAR(64)     NOT NULL,
    created BIGINT       NOT NULL
);
CREATE INDEX IF NOT EXISTS media_by_created ON media(created);
CREATE INDEX IF NOT EXISTS media_by_owner ON media(owner);

-- Groups ("groups" itself is a reserved word in MySQL 8, hence chat_groups).
CREATE TABLE IF NOT EXISTS chat_groups (
    id      VARCHAR(32)  NOT NULL PRIMARY KEY,
    name    VARCHAR(128) NOT NULL,
    created BIGINT       NOT NULL
);

-- Group members. join_order orders the members by when they joined: when the last admin
-- leaves, the longest-standing member left becomes admin.
CREATE TABLE IF NOT EXISTS group_members (
    group_id   VARCHAR(32) NOT NULL,
    user_name  VARCHAR(32) NOT NULL,
    join_order BIGINT      NOT NULL,
    is_admin   BOOLEAN     NOT NULL,
    PRIMARY KEY (group_id, user_name)
);
