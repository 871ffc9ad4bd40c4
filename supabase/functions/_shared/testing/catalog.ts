// Test fixtures for the catalog from TypeScript: a published course with one lesson, an offer
// selling it, and a plan. Written as service-side SQL (the postgres role), like the seed.
import type { Sql } from "../db.ts";

export async function publishedCourse(
  sql: Sql,
  ownerId: string,
  opts: {
    slug: string;
    title: string;
    isFree?: boolean;
    lessonTitle?: string;
    lessonKind?: string;
    body?: string;
  },
): Promise<{ id: string; lessonId: string }> {
  const [course] = await sql<{ id: string }[]>`
    insert into public.courses (slug, title, owner_id, is_free)
    values (${opts.slug}, ${opts.title}, ${ownerId}, ${opts.isFree ?? false}) returning id`;
  const [section] = await sql<{ id: string }[]>`
    insert into public.sections (course_id, title, position) values (${course.id}, 'Section one', 0) returning id`;
  const [lesson] = await sql<{ id: string }[]>`
    insert into public.lessons (section_id, title, kind, position)
    values (${section.id}, ${opts.lessonTitle ?? "Lesson one"}, ${
    opts.lessonKind ?? "video"
  }, 0) returning id`;
  if (opts.body !== undefined) {
    await sql`insert into public.lesson_contents (lesson_id, body) values (${lesson.id}, ${opts.body})`;
  }
  await sql`update public.courses set status = 'published' where id = ${course.id}`;
  return { id: course.id, lessonId: lesson.id };
}

/** A course offer with its prices, e.g. { USD: 4900 }. Returns the offer id. */
export async function courseOffer(
  sql: Sql,
  courseId: string,
  sellerId: string,
  title: string,
  prices: Record<string, number>,
): Promise<string> {
  const [offer] = await sql<{ id: string }[]>`
    insert into public.offers (kind, title, course_id, owner_id) values ('course', ${title}, ${courseId}, ${sellerId})
    returning id`;
  await offerPrices(sql, offer.id, prices);
  return offer.id;
}

async function offerPrices(sql: Sql, offerId: string, prices: Record<string, number>) {
  for (const [currency, amount] of Object.entries(prices)) {
    await sql`insert into public.offer_prices (offer_id, currency, amount) values (${offerId}, ${currency}, ${amount})`;
  }
}

/** A monthly plan of the seller's courses (plan_scope instructor) with its prices. Returns its id. */
export async function planOffer(
  sql: Sql,
  sellerId: string,
  title: string,
  prices: Record<string, number>,
): Promise<string> {
  const [plan] = await sql<{ id: string }[]>`
    insert into public.offers (kind, title, plan_interval, plan_scope, owner_id)
    values ('plan', ${title}, 'month', 'instructor', ${sellerId}) returning id`;
  await offerPrices(sql, plan.id, prices);
  return plan.id;
}
