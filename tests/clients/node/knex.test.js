// Knex (its pg client) against a real DriftDB server: the schema builder
// and the queries of a small todo app (users own lists of todos): inserts
// with RETURNING, joins, filters, grouping, paging, updates, cascading
// deletes, a transaction rolled back by an error, an upsert, raw SQL with
// bindings, a jsonb column, and a read of the past through time travel.
const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const createKnex = require("knex");

const connection = process.env.DRIFTDB_TEST_URL;
if (!connection) {
  throw new Error("DRIFTDB_TEST_URL is not set: run scripts/client-tests.sh");
}

const suffix = Math.random().toString(16).slice(2, 10);
const users = `k_user_${suffix}`;
const lists = `k_list_${suffix}`;
const todos = `k_todo_${suffix}`;
const docs = `k_doc_${suffix}`;
let knex;

before(async () => {
  knex = createKnex({ client: "pg", connection, pool: { min: 0, max: 4 } });
  await knex.schema.createTable(users, (t) => {
    t.increments("id");
    t.string("email", 100).notNullable().unique();
    t.string("name").notNullable();
    t.timestamps(true, false);
  });
  await knex.schema.createTable(lists, (t) => {
    t.increments("id");
    t.integer("owner_id").notNullable().references("id").inTable(users).onDelete("CASCADE");
    t.string("title").notNullable();
    t.unique(["owner_id", "title"]);
  });
  await knex.schema.createTable(todos, (t) => {
    t.increments("id");
    t.integer("list_id").notNullable().references("id").inTable(lists).onDelete("CASCADE");
    t.text("body").notNullable();
    t.boolean("done").notNullable().defaultTo(false);
    t.integer("priority").notNullable().defaultTo(2);
    t.decimal("estimate", 6, 2);
    t.index(["list_id", "done"]);
  });
});

after(async () => {
  await knex.schema.dropTableIfExists(docs);
  await knex.schema.dropTableIfExists(todos);
  await knex.schema.dropTableIfExists(lists);
  await knex.schema.dropTableIfExists(users);
  await knex.destroy();
});

async function isDriftDB() {
  const { rows } = await knex.raw("SELECT version() AS v");
  return rows[0].v.includes("DriftDB");
}

test("the schema builder made the tables, columns and constraints", async () => {
  assert.equal(await knex.schema.hasTable(users), true);
  assert.equal(await knex.schema.hasTable(`${users}_nope`), false);
  assert.equal(await knex.schema.hasColumn(todos, "priority"), true);
  assert.equal(await knex.schema.hasColumn(todos, "missing"), false);
  const info = await knex(todos).columnInfo();
  assert.deepEqual(Object.keys(info), ["id", "list_id", "body", "done", "priority", "estimate"]);
  assert.equal(info.id.type, "integer");
  assert.equal(info.done.type, "boolean");
  assert.equal(info.done.nullable, false);
  assert.equal(info.done.defaultValue, "false");
  assert.equal(info.estimate.type, "numeric");
  const email = await knex(users).columnInfo("email");
  assert.equal(email.type, "character varying");
  assert.equal(email.maxLength, 100);
});

test("inserts return their rows, with serial ids and defaults", async () => {
  const at = new Date("2024-05-01T10:00:00Z");
  const people = await knex(users)
    .insert([
      { email: "ann@example.com", name: "Ann", created_at: at, updated_at: at },
      { email: "bob@example.com", name: "Bob", created_at: at, updated_at: at },
      { email: "cy@example.com", name: "Cy", created_at: at, updated_at: at },
    ])
    .returning("*");
  assert.deepEqual(
    people.map((u) => u.name),
    ["Ann", "Bob", "Cy"]
  );
  assert.equal(people[1].id, people[0].id + 1);
  assert.equal(people[0].created_at.toISOString(), at.toISOString());
  const [ann, bob] = people;

  const made = await knex(lists)
    .insert([
      { owner_id: ann.id, title: "home" },
      { owner_id: ann.id, title: "work" },
      { owner_id: bob.id, title: "home" },
    ])
    .returning(["id", "title"]);
  assert.equal(made.length, 3);
  const [home, work, bobHome] = made.map((l) => l.id);

  const rows = [
    { list_id: home, body: "dishes", priority: 1, estimate: "0.50" },
    { list_id: home, body: "laundry" },
    { list_id: home, body: "plants", done: true },
    { list_id: work, body: "review", priority: 1, estimate: "2.25" },
    { list_id: work, body: "deploy", priority: 3 },
    { list_id: bobHome, body: "garage", estimate: "4" },
  ];
  const inserted = await knex(todos).insert(rows).returning("*");
  assert.equal(inserted.length, 6);
  assert.equal(inserted[1].done, false);
  assert.equal(inserted[1].priority, 2);
  assert.equal(inserted[0].estimate, "0.50");
  assert.equal(inserted[5].estimate, "4.00");

  await assert.rejects(
    knex(users).insert({ email: "ann@example.com", name: "Ann again" }),
    (e) => e.code === "23505"
  );
  await assert.rejects(
    knex(lists).insert({ owner_id: -1, title: "orphan" }),
    (e) => e.code === "23503"
  );
});

test("joins, filters, grouping and paging", async () => {
  const annTodos = await knex(todos)
    .join(lists, `${lists}.id`, `${todos}.list_id`)
    .join(users, `${users}.id`, `${lists}.owner_id`)
    .where(`${users}.name`, "Ann")
    .andWhere(`${todos}.done`, false)
    .select(`${todos}.body`, `${lists}.title as list`)
    .orderBy([{ column: "list" }, { column: `${todos}.body`, order: "desc" }]);
  assert.deepEqual(annTodos, [
    { body: "laundry", list: "home" },
    { body: "dishes", list: "home" },
    { body: "review", list: "work" },
    { body: "deploy", list: "work" },
  ]);

  const urgent = await knex(todos).whereIn("priority", [1, 3]).orderBy("body").pluck("body");
  assert.deepEqual(urgent, ["deploy", "dishes", "review"]);

  const notIn = await knex(todos)
    .whereNotIn("body", ["dishes", "laundry"])
    .whereNull("estimate")
    .orderBy("id")
    .pluck("body");
  assert.deepEqual(notIn, ["plants", "deploy"]);

  const perOwner = await knex(users)
    .leftJoin(lists, `${lists}.owner_id`, `${users}.id`)
    .leftJoin(todos, `${todos}.list_id`, `${lists}.id`)
    .groupBy(`${users}.name`)
    .select(`${users}.name`)
    .count(`${todos}.id as todos`)
    .sum(`${todos}.estimate as hours`)
    .orderBy(`${users}.name`);
  assert.deepEqual(perOwner, [
    { name: "Ann", todos: "5", hours: "2.75" },
    { name: "Bob", todos: "1", hours: "4.00" },
    { name: "Cy", todos: "0", hours: null },
  ]);

  const busy = await knex(todos)
    .select("list_id")
    .count("* as n")
    .groupBy("list_id")
    .having(knex.raw("count(*) > ?", [1]))
    .orderBy("list_id");
  assert.deepEqual(
    busy.map((r) => r.n),
    ["3", "2"]
  );

  const page = await knex(todos).orderBy("id").limit(2).offset(2).pluck("body");
  assert.deepEqual(page, ["plants", "review"]);

  const [{ total }] = await knex(todos).count({ total: "*" });
  assert.equal(total, "6");
  const first = await knex(users).where({ name: "Bob" }).first("email");
  assert.deepEqual(first, { email: "bob@example.com" });
  const exists = await knex(users).where("name", "like", "C%").select("id");
  assert.equal(exists.length, 1);
});

test("updates return rows; deletes cascade", async () => {
  const done = await knex(todos)
    .where({ body: "dishes" })
    .update({ done: true, priority: knex.raw("priority + ?", [10]) })
    .returning(["body", "done", "priority"]);
  assert.deepEqual(done, [{ body: "dishes", done: true, priority: 11 }]);

  const count = await knex(todos).where("done", true).update({ estimate: null });
  assert.equal(count, 2);
  await knex(todos).increment("priority", 1).where("body", "garage");
  assert.equal(await knex(todos).where("body", "garage").first().then((r) => r.priority), 3);

  const cy = await knex(users).where({ name: "Cy" }).del().returning("id");
  assert.equal(cy.length, 1);
  const bob = await knex(users).where({ name: "Bob" }).first("id");
  await knex(users).where({ id: bob.id }).del();
  assert.deepEqual(await knex(lists).pluck("title").orderBy("title"), ["home", "work"]);
  assert.equal(await knex(todos).where("body", "garage").first(), undefined);
});

test("a transaction that fails rolls back; one that succeeds commits", async () => {
  const ann = await knex(users).where({ name: "Ann" }).first("id");
  await assert.rejects(
    knex.transaction(async (trx) => {
      const [list] = await trx(lists).insert({ owner_id: ann.id, title: "trip" }).returning("id");
      await trx(todos).insert({ list_id: list.id, body: "tickets" });
      await trx(todos).insert({ list_id: list.id, body: null });
    }),
    (e) => e.code === "23502"
  );
  assert.equal(await knex(lists).where({ title: "trip" }).first(), undefined);
  assert.equal(await knex(todos).where({ body: "tickets" }).first(), undefined);

  await knex.transaction(async (trx) => {
    const [list] = await trx(lists).insert({ owner_id: ann.id, title: "trip" }).returning("id");
    await trx(todos).insert({ list_id: list.id, body: "tickets" });
  });
  const trip = await knex(todos)
    .join(lists, `${lists}.id`, `${todos}.list_id`)
    .where(`${lists}.title`, "trip")
    .pluck(`${todos}.body`);
  assert.deepEqual(trip, ["tickets"]);

  const trx = await knex.transaction();
  await trx(todos).del();
  assert.equal((await trx(todos).count("* as n"))[0].n, "0");
  await trx.rollback();
  assert.equal((await knex(todos).count("* as n"))[0].n, "6");
});

test("onConflict upserts: merge and ignore", async () => {
  const at = new Date("2024-06-01T00:00:00Z");
  const merged = await knex(users)
    .insert([
      { email: "ann@example.com", name: "Ann B.", updated_at: at },
      { email: "dee@example.com", name: "Dee", updated_at: at },
    ])
    .onConflict("email")
    .merge(["name", "updated_at"])
    .returning(["email", "name"]);
  assert.deepEqual(
    merged.map((r) => [r.email, r.name]),
    [
      ["ann@example.com", "Ann B."],
      ["dee@example.com", "Dee"],
    ]
  );
  const ann = await knex(users).where({ email: "ann@example.com" }).first();
  assert.equal(ann.updated_at.toISOString(), at.toISOString());
  assert.equal(ann.created_at.toISOString(), "2024-05-01T10:00:00.000Z");

  const ignored = await knex(users)
    .insert({ email: "dee@example.com", name: "Dee twice" })
    .onConflict("email")
    .ignore()
    .returning("id");
  assert.deepEqual(ignored, []);

  const home = await knex(lists).where({ title: "home" }).first("owner_id");
  await knex(lists)
    .insert({ owner_id: home.owner_id, title: "home" })
    .onConflict(["owner_id", "title"])
    .merge({ title: "house" });
  assert.deepEqual(await knex(lists).orderBy("title").pluck("title"), ["house", "trip", "work"]);
});

test("a jsonb column: objects in, objects out, queried by key", async () => {
  await knex.schema.createTable(docs, (t) => {
    t.increments("id");
    t.jsonb("meta").notNullable().defaultTo("{}");
  });
  await knex(docs).insert([
    { meta: { color: "red", n: 1, tags: ["a", "b"] } },
    { meta: { color: "blue", n: 2 } },
    {},
  ]);
  const rows = await knex(docs).orderBy("id").pluck("meta");
  assert.deepEqual(rows, [{ color: "red", n: 1, tags: ["a", "b"] }, { color: "blue", n: 2 }, {}]);
  const red = await knex(docs).whereRaw("meta->>'color' = ?", ["red"]).pluck("id");
  assert.equal(red.length, 1);
  const blue = await knex(docs)
    .whereRaw("meta @> ?::jsonb", [JSON.stringify({ color: "blue" })])
    .select(knex.raw("(meta->>'n')::int AS n"));
  assert.deepEqual(blue, [{ n: 2 }]);
  const info = await knex(docs).columnInfo("meta");
  assert.equal(info.type, "jsonb");
  assert.equal(info.defaultValue, "'{}'::jsonb");
});

test("raw SQL with bindings, and a read of the past", async (t) => {
  const { rows } = await knex.raw(
    `SELECT body, priority FROM ${todos} WHERE priority BETWEEN ? AND ? AND body <> ? ORDER BY body`,
    [2, 5, "laundry"]
  );
  assert.deepEqual(rows, [
    { body: "deploy", priority: 3 },
    { body: "plants", priority: 2 },
    { body: "tickets", priority: 2 },
  ]);
  const named = await knex.raw("SELECT count(*)::int AS n FROM :table: WHERE done = :done", {
    table: todos,
    done: false,
  });
  assert.equal(named.rows[0].n, 4);

  if (!(await isDriftDB())) {
    t.skip("time travel is DriftDB's own SQL");
    return;
  }
  const {
    rows: [{ seq }],
  } = await knex.raw("SELECT drift_seq() AS seq");
  await knex(todos).where({ body: "deploy" }).update({ body: "ship it" });
  await knex(todos).where({ body: "plants" }).del();
  const past = await knex.raw(
    `SELECT body FROM ${todos} FOR SYSTEM_TIME AS OF @SEQ:${Number(seq)} WHERE priority BETWEEN ? AND ? ORDER BY body`,
    [2, 5]
  );
  assert.deepEqual(
    past.rows.map((r) => r.body),
    ["deploy", "laundry", "plants", "tickets"]
  );
  const now = await knex(todos).whereBetween("priority", [2, 5]).orderBy("body").pluck("body");
  assert.deepEqual(now, ["laundry", "ship it", "tickets"]);
});
