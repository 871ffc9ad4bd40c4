// Buyers racing for what is scarce, each on their own connection, as concurrent checkout
// requests would: the last use of a coupon, and the last seat of a session. create_order holds
// the coupon use and the seat under a lock, so exactly one buyer gets each.
import assert from "node:assert/strict";
import { asCaller, connect, type Sql } from "../_shared/db.ts";
import { claimsFor, createUser, deleteUsers, testDbUrl } from "../_shared/testing/users.ts";
import { courseOffer, publishedCourse } from "../_shared/testing/catalog.ts";

async function race(
  n: number,
  fn: (sql: Sql, claims: Awaited<ReturnType<typeof claimsFor>>) => Promise<unknown>,
) {
  const admin = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const buyers = await Promise.all(
    Array.from({ length: n }, (_, i) => createUser(admin, `racer-${i}-${tag}@test.local`)),
  );
  const claims = await Promise.all(buyers.map((b) => claimsFor(admin, b)));
  const pools = buyers.map(() => connect(testDbUrl(), { max: 1 }));
  try {
    const results = await Promise.allSettled(pools.map((sql, i) => fn(sql, claims[i])));
    return { results, buyers };
  } finally {
    await Promise.all(pools.map((p) => p.end()));
    await admin.end();
  }
}

/** Exactly one racer won (`what`); every other was refused with P0001 and `message`. */
function oneWinner(results: PromiseSettledResult<unknown>[], what: string, message: string) {
  const won = results.filter((r) => r.status === "fulfilled");
  const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
  assert.equal(won.length, 1, what);
  for (const r of lost) {
    assert.equal(r.reason.code, "P0001");
    assert.equal(r.reason.message, message);
  }
}

Deno.test("create_order: 20 concurrent buyers, a coupon with one use left, exactly one discount", async () => {
  const sql = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const seller = await createUser(sql, `race-seller-${tag}@test.local`, { role: "instructor" });
  const course = await publishedCourse(sql, seller, { slug: `race-${tag}`, title: "Race Course" });
  const offer = await courseOffer(sql, course.id, seller, "Race Course", { USD: 4900 });
  const code = `LAST${tag.toUpperCase()}`;
  await sql`insert into public.coupons (code, kind, percent_off, max_redemptions, owner_id)
            values (${code}, 'percent', 50, 1, ${seller})`;
  let buyers: string[] = [];
  try {
    const run = await race(20, (db, claims) =>
      asCaller(
        db,
        claims,
        (tx) => tx`select discount from public.create_order(${offer}, 'USD', ${code})`,
      ));
    buyers = run.buyers;
    oneWinner(run.results, "exactly one buyer gets the last use", "this coupon has been used up");
    const [row] = await sql`
      select count(*)::int as orders, count(*) filter (where discount > 0)::int as discounted
      from public.orders where offer_id = ${offer}`;
    assert.deepEqual({ ...row }, { orders: 1, discounted: 1 });
  } finally {
    await sql`delete from public.orders where offer_id = ${offer}`;
    await sql`delete from public.offers where owner_id = ${seller}`;
    await sql`delete from public.coupons where owner_id = ${seller}`;
    await sql`delete from public.courses where owner_id = ${seller}`;
    await deleteUsers(sql, [seller, ...buyers]);
    await sql.end();
  }
});

Deno.test("create_order: 20 concurrent buyers, one paid seat, exactly one order", async () => {
  const sql = connect(testDbUrl(), { max: 1 });
  const tag = crypto.randomUUID().slice(0, 8);
  const host = await createUser(sql, `race-host-${tag}@test.local`, { role: "instructor" });
  const [session] = await sql`
    insert into public.live_sessions (title, starts_at, capacity, is_published, is_free, created_by)
    values ('Race class', now() + interval '1 day', 1, true, false, ${host}) returning id`;
  const [offer] = await sql`insert into public.offers (kind, title, session_id, owner_id)
    values ('session', 'Race seat', ${session.id}, ${host}) returning id`;
  await sql`insert into public.offer_prices (offer_id, currency, amount) values (${offer.id}, 'USD', 900)`;
  let buyers: string[] = [];
  try {
    const run = await race(
      20,
      (db, claims) =>
        asCaller(db, claims, (tx) => tx`select id from public.create_order(${offer.id}, 'USD')`),
    );
    buyers = run.buyers;
    oneWinner(run.results, "exactly one buyer holds the seat", "this session is full");
    const [{ n }] =
      await sql`select count(*)::int as n from private.seat_holds where session_id = ${session.id}`;
    assert.equal(n, 1, "one hold");
  } finally {
    await sql`delete from public.orders where offer_id = ${offer.id}`;
    await sql`delete from public.live_sessions where id = ${session.id}`;
    await deleteUsers(sql, [host, ...buyers]);
    await sql.end();
  }
});
