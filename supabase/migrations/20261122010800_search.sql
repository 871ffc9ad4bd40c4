-- Catalog search: full text over title, subtitle, description, tags and instructor names, with
-- typo tolerance from pg_trgm, filters, sort orders and keyset pagination.
--
-- Typos are corrected before searching, the way the pg_trgm docs suggest: every word of the
-- catalog is kept in private.search_words, and a query word that is not among them is replaced by
-- the most similar one (trigram index). The search itself is then plain full text, so it stays
-- indexed however common the words are.
--
-- Prices are compared within one currency only: a price range or a price sort needs `currency`.
-- The search text is bounded (200 characters, 20 words) and every argument is checked before any
-- work, so an over-long query is refused at once instead of exhausting the stack or a connection.
--
-- Each row returns `cursor`; pass the last row's cursor as `after` to get the next page. It runs
-- as its owner (it needs the private word list) and returns published, non-deleted courses only:
-- the rows anyone may read anyway.

create extension if not exists pg_trgm with schema extensions;

create index courses_search_document_idx on public.courses using gin (search_document);
create table private.search_words (word text primary key);
create index search_words_trgm_idx on private.search_words using gin (word extensions.gin_trgm_ops);

create function private.courses_collect_words() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.search_words (word)
  select distinct w from unnest(tsvector_to_array(new.search_document)) w where char_length(w) between 2 and 40
  on conflict (word) do nothing;
  return null;
end;
$$;
revoke all on function private.courses_collect_words() from public;
create trigger courses_collect_words after insert or update of search_document on public.courses
  for each row execute function private.courses_collect_words();

insert into private.search_words (word)
select distinct w from public.courses c, unnest(tsvector_to_array(c.search_document)) w
where char_length(w) between 2 and 40
on conflict (word) do nothing;

-- The query with each unknown word replaced by the closest catalog word (when one is close enough).
create function private.correct_query(q text) returns text
language sql stable
security definer
set search_path = ''
as $$
  select string_agg(coalesce(
           case when t.word = '' or exists (select 1 from private.search_words w where w.word = t.word)
                then t.token end,
           (select w.word from private.search_words w
            where w.word operator(extensions.%) t.word
            order by extensions.similarity(w.word, t.word) desc, w.word limit 1),
           t.token), ' ' order by t.n)
  from (select token, n, lower(regexp_replace(token, '[^[:alnum:]]', '', 'g')) as word
        from regexp_split_to_table(btrim(correct_query.q), '\s+') with ordinality as x (token, n)) t
$$;
revoke all on function private.correct_query(text) from public;
grant execute on function private.correct_query(text) to service_role;
create index courses_rating_idx on public.courses (rating_avg desc nulls last, id)
  where status = 'published' and deleted_at is null;
create index courses_list_price_idx on public.courses (list_price_amount, id)
  where status = 'published' and deleted_at is null;

create type public.course_sort as enum ('relevance', 'newest', 'rating', 'price_low', 'price_high');

-- One search hit. `cursor` is what to pass as `after` for the next page.
create type public.course_search_result as (
  id uuid, slug text, title text, subtitle text, level public.course_level, language text,
  category_id uuid, thumbnail_path text, tags text[], is_free boolean,
  list_price_amount bigint, list_price_currency text, rating_avg numeric, rating_count integer,
  instructors jsonb, published_at timestamptz, rank real, cursor text
);

create function public.search_courses(
  q text default null,
  category uuid default null,
  levels public.course_level[] default null,
  lang text default null,
  min_price bigint default null,
  max_price bigint default null,
  currency text default null,
  min_rating numeric default null,
  instructor uuid default null,
  free_only boolean default false,
  sort public.course_sort default 'relevance',
  after text default null,
  page_size integer default 20
)
returns setof public.course_search_result
language plpgsql stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  term text;
  tsq tsquery;
  cur text;
  after_key numeric;
  after_id uuid;
  filters text;
  rank_expr text;
  key_expr text;
begin
  -- Every argument is checked before any work, and no message repeats what the caller sent: the
  -- text of a search is bounded (a long one would make a tsquery deep enough to exhaust the stack,
  -- or keep the connection busy correcting thousands of words until the statement timeout).
  if char_length(search_courses.q) > 200 then
    raise exception 'the search is too long: use at most 200 characters and 20 words'
      using errcode = '22023', detail = 'query_too_long';
  end if;
  if cardinality(regexp_split_to_array(btrim(search_courses.q), '\s+')) > 20 then
    raise exception 'the search is too long: use at most 200 characters and 20 words'
      using errcode = '22023', detail = 'query_too_long';
  end if;
  if search_courses.currency is not null then
    cur := upper(btrim(left(search_courses.currency, 10)));
    if cur !~ '^[A-Z]{3}$' then
      raise exception 'currency must be a three-letter code such as USD' using errcode = '22023',
        detail = 'invalid_currency';
    end if;
  end if;
  -- Amounts are compared within one currency: a price range or a price sort needs it (courses
  -- priced in other currencies are left out; free courses count as 0 in every currency).
  if cur is null and (search_courses.min_price is not null or search_courses.max_price is not null
                      or search_courses.sort in ('price_low', 'price_high')) then
    raise exception 'prices are compared in one currency: pass a currency to sort or filter by price'
      using errcode = '22023', detail = 'currency_required';
  end if;
  if search_courses.lang is not null and (char_length(search_courses.lang) > 6
                                          or search_courses.lang !~ '^[a-z]{2,3}(-[A-Z]{2})?$') then
    raise exception 'lang must be a language code such as en or en-GB' using errcode = '22023',
      detail = 'invalid_lang';
  end if;
  if search_courses.page_size is null or search_courses.page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023',
      detail = 'invalid_page_size';
  end if;
  if search_courses.min_price is not null and search_courses.max_price is not null
     and search_courses.min_price > search_courses.max_price then
    raise exception 'min_price must not exceed max_price' using errcode = '22023',
      detail = 'invalid_price_range';
  end if;
  if search_courses.min_rating is not null and search_courses.min_rating not between 1 and 5 then
    raise exception 'min_rating must be between 1 and 5' using errcode = '22023',
      detail = 'invalid_min_rating';
  end if;
  if search_courses.after is not null then
    begin
      if char_length(search_courses.after) > 80 then
        raise exception 'cursor too long' using errcode = '22023', detail = 'invalid_cursor';
      end if;
      after_key := split_part(search_courses.after, '|', 1)::numeric;
      after_id := split_part(search_courses.after, '|', 2)::uuid;
    exception when others then
      raise exception 'invalid cursor' using errcode = '22023',
        detail = 'invalid_cursor', hint = 'Pass the cursor of the last row you received.';
    end;
  end if;
  term := nullif(btrim(search_courses.q), '');
  if term is not null then
    tsq := websearch_to_tsquery('simple', private.correct_query(term));
  end if;

  -- Built per call with only the filters given, so each search gets a plan that can use the
  -- full-text and trigram indexes (one static query with "x is null or ..." for every filter
  -- cannot). Values are passed as parameters, never spliced into the text.
  filters := 'c.status = ''published'' and c.deleted_at is null';
  if term is not null then
    filters := filters || ' and c.search_document @@ $1';
  end if;
  if search_courses.category is not null then
    filters := filters || ' and c.category_id in (with recursive tree as (
        select cat.id from public.categories cat where cat.id = $3
        union all
        select cat.id from public.categories cat join tree on cat.parent_id = tree.id)
      select tree.id from tree)';
  end if;
  if search_courses.levels is not null then
    filters := filters || ' and c.level = any ($4)';
  end if;
  if search_courses.lang is not null then
    filters := filters || ' and (c.language = $5 or c.language like $5 || ''-%'')';
  end if;
  if coalesce(search_courses.free_only, false) then
    filters := filters || ' and c.is_free';
  end if;
  if search_courses.min_price is not null then
    filters := filters || ' and coalesce(c.list_price_amount, 0) >= $6';
  end if;
  if search_courses.max_price is not null then
    filters := filters || ' and coalesce(c.list_price_amount, 0) <= $7';
  end if;
  if cur is not null then
    filters := filters || ' and (c.is_free or c.list_price_currency = $8)';
  end if;
  if search_courses.min_rating is not null then
    filters := filters || ' and c.rating_avg >= $9';
  end if;
  if search_courses.instructor is not null then
    filters := filters || ' and c.id in (select ci.course_id from public.course_instructors ci where ci.user_id = $10)';
  end if;

  rank_expr := case when term is null then '0::real'
                    else 'ts_rank(c.search_document, $1)' end;
  key_expr := case search_courses.sort
    when 'relevance' then '-(' || rank_expr || ')::numeric'
    when 'newest' then '-extract(epoch from c.published_at)::numeric'
    when 'rating' then '-(coalesce(c.rating_avg, 0) * 1000000 + least(c.rating_count, 999999))::numeric'
    when 'price_low' then 'coalesce(c.list_price_amount, 0)::numeric'
    else '-coalesce(c.list_price_amount, 0)::numeric'
  end;

  return query execute format($q$
    select k.id, k.slug, k.title, k.subtitle, k.level, k.language, k.category_id, k.thumbnail_path, k.tags,
           k.is_free, k.list_price_amount, k.list_price_currency, k.rating_avg, k.rating_count, k.instructors,
           k.published_at, k.rank, k.sort_key::text || '|' || k.id::text
    from (
      select c.*, (%s)::real as rank, %s as sort_key
      from public.courses c
      where %s
    ) k
    where $11::numeric is null or (k.sort_key, k.id) > ($11::numeric, $12::uuid)
    order by k.sort_key, k.id
    limit $13 $q$, rank_expr, key_expr, filters)
  using tsq, term, search_courses.category, search_courses.levels, search_courses.lang,
        search_courses.min_price, search_courses.max_price, cur, search_courses.min_rating,
        search_courses.instructor, after_key, after_id, search_courses.page_size;
end;
$$;
comment on function public.search_courses(text, uuid, public.course_level[], text, bigint, bigint, text, numeric,
  uuid, boolean, public.course_sort, text, integer) is
  'Search published courses. Pass the last row''s cursor as `after` for the next page.';
revoke all on function public.search_courses(text, uuid, public.course_level[], text, bigint, bigint, text, numeric,
  uuid, boolean, public.course_sort, text, integer) from public;
grant execute on function public.search_courses(text, uuid, public.course_level[], text, bigint, bigint, text, numeric,
  uuid, boolean, public.course_sort, text, integer) to anon, authenticated;
