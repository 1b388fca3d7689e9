// node-postgres against a real DriftDB server: connection, parameters and
// types, transactions and their errors, prepared (named) statements,
// time travel, and a pool of concurrent clients.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { Client, Pool } = require("pg");

const connectionString = process.env.DRIFTDB_TEST_URL;
if (!connectionString) {
  throw new Error("DRIFTDB_TEST_URL is not set: run scripts/client-tests.sh");
}

let client;
const table = "node_" + Math.random().toString(16).slice(2, 10);

before(async () => {
  client = new Client({ connectionString });
  await client.connect();
  await client.query(
    `CREATE TABLE ${table} (id int primary key, name text, amount numeric(10,2),
       at timestamptz, day date, flag boolean, big bigint, data bytea)`
  );
});

after(async () => {
  await client.end();
});

test("server reports PostgreSQL 16 parameters", async () => {
  const { rows } = await client.query("SHOW server_version");
  assert.match(rows[0].server_version, /^16/);
  assert.equal(client.connectionParameters.database, "driftdb");
});

test("parameters and types round trip", async () => {
  const at = new Date("2024-03-04T05:06:07.123Z");
  const res = await client.query(
    `INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [1, "ünïcode", "12.50", at, "2024-05-06", true, "9007199254740993", Buffer.from([0, 1, 255])]
  );
  assert.equal(res.command, "INSERT");
  assert.equal(res.rowCount, 1);
  const { rows, fields } = await client.query(`SELECT * FROM ${table} WHERE id = $1`, [1]);
  assert.equal(rows.length, 1);
  const row = rows[0];
  assert.equal(row.name, "ünïcode");
  assert.equal(row.amount, "12.50");
  assert.equal(row.at.toISOString(), at.toISOString());
  assert.equal(row.flag, true);
  assert.equal(row.big, "9007199254740993");
  assert.deepEqual([...row.data], [0, 1, 255]);
  assert.deepEqual(
    fields.map((f) => f.dataTypeID),
    [23, 25, 1700, 1184, 1082, 16, 20, 17]
  );
});

test("errors carry their SQLSTATE and abort the block", async () => {
  await assert.rejects(client.query("SELECT * FROM no_such_table"), (e) => e.code === "42P01");
  await assert.rejects(client.query("SELECT 1/0"), (e) => e.code === "22012");
  await client.query("BEGIN");
  await assert.rejects(client.query(`INSERT INTO ${table} (id) VALUES (1)`), (e) => e.code === "23505");
  await assert.rejects(client.query("SELECT 1"), (e) => e.code === "25P02");
  await client.query("ROLLBACK");
  const { rows } = await client.query("SELECT 1 AS one");
  assert.equal(rows[0].one, 1);
});

test("named prepared statements run many times", async () => {
  for (let i = 10; i < 30; i++) {
    await client.query({ name: "ins", text: `INSERT INTO ${table} (id, name) VALUES ($1, $2)`, values: [i, `n${i}`] });
  }
  for (let i = 10; i < 30; i++) {
    const { rows } = await client.query({ name: "get", text: `SELECT name FROM ${table} WHERE id = $1`, values: [i] });
    assert.equal(rows[0].name, `n${i}`);
  }
});

test("time travel over the wire", async () => {
  const before = (await client.query("SELECT drift_seq() AS s")).rows[0].s;
  await client.query(`UPDATE ${table} SET name = 'changed' WHERE id = 10`);
  const past = await client.query(
    `SELECT name FROM ${table} FOR SYSTEM_TIME AS OF @SEQ:${before} WHERE id = 10`
  );
  assert.equal(past.rows[0].name, "n10");
  const history = await client.query(
    `SELECT name FROM ${table} FOR SYSTEM_TIME ALL WHERE id = 10 ORDER BY _seq_from`
  );
  assert.deepEqual(history.rows.map((r) => r.name), ["n10", "changed"]);
});

test("arrays arrive as JS arrays and go out as parameters", async () => {
  const arrays = table + "_arr";
  await client.query(`CREATE TABLE ${arrays} (id int primary key, nums int[], tags text[])`);
  await client.query(`INSERT INTO ${arrays} VALUES ($1, $2, $3)`, [
    1,
    [1, null, 3],
    ["a b", "", null, 'q"'],
  ]);
  const { rows } = await client.query(`SELECT nums, tags FROM ${arrays} WHERE id = ANY($1)`, [[1, 2]]);
  assert.deepEqual(rows[0].nums, [1, null, 3]);
  assert.deepEqual(rows[0].tags, ["a b", "", null, 'q"']);
  const agg = await client.query(`SELECT array_agg(id) AS ids, ARRAY['x'] AS xs FROM ${arrays}`);
  assert.deepEqual(agg.rows[0].ids, [1]);
  assert.deepEqual(agg.rows[0].xs, ["x"]);
});

test("a pool of concurrent clients", async () => {
  const pool = new Pool({ connectionString, max: 10 });
  try {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        pool.query(`INSERT INTO ${table} (id, name) VALUES ($1, 'pool')`, [1000 + i])
      )
    );
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE name = 'pool'`);
    assert.equal(rows[0].n, 50);
  } finally {
    await pool.end();
  }
});
