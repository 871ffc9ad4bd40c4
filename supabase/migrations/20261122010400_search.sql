-- Catalog search: full text over title, subtitle, description, tags and instructor names, with
-- typo tolerance from pg_trgm, filters, four sort orders and keyset pagination.
--
-- Each row returns `cursor`; pass the last row's cursor as `after` to get the next page. The
-- function runs as the caller, so RLS on courses applies; it returns published courses only.

create extension if not exists pg_trgm with schema extensions;

create index courses_search_document_idx on public.courses using gin (search_document);
create index courses_search_text_trgm_idx on public.courses using gin (search_text extensions.gin_trgm_ops);
create index courses_rating_idx on public.courses (rating_avg desc nulls last, id)
  where status = 'published' and deleted_at is null;
create index courses_list_price_idx on public.courses (list_price_amount, id)
  where status = 'published' and deleted_at is null;

create type public.course_sort as enum ('relevance', 'newest', 'rating', 'price_low', 'price_high');

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
returns table (
  id uuid, slug text, title text, subtitle text, level public.course_level, language text,
  category_id uuid, thumbnail_path text, tags text[], is_free boolean,
  list_price_amount bigint, list_price_currency text, rating_avg numeric, rating_count integer,
  instructors jsonb, published_at timestamptz, rank real, cursor text
)
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  term text := nullif(btrim(search_courses.q), '');
  tsq tsquery := case when term is null then null else websearch_to_tsquery('simple', term) end;
  after_key numeric;
  after_id uuid;
begin
  if search_courses.page_size is null or search_courses.page_size not between 1 and 100 then
    raise exception 'page_size must be between 1 and 100' using errcode = '22023';
  end if;
  if search_courses.min_price is not null and search_courses.max_price is not null
     and search_courses.min_price > search_courses.max_price then
    raise exception 'min_price must not exceed max_price' using errcode = '22023';
  end if;
  if search_courses.min_rating is not null and search_courses.min_rating not between 1 and 5 then
    raise exception 'min_rating must be between 1 and 5' using errcode = '22023';
  end if;
  if search_courses.after is not null then
    begin
      after_key := split_part(search_courses.after, '|', 1)::numeric;
      after_id := split_part(search_courses.after, '|', 2)::uuid;
    exception when others then
      raise exception 'invalid cursor' using errcode = '22023', hint = 'Pass the cursor of the last row you received.';
    end;
  end if;

  return query
  with recursive tree as (
    select cat.id from public.categories cat where cat.id = search_courses.category
    union all
    select cat.id from public.categories cat join tree on cat.parent_id = tree.id
  ),
  hits as (
    select c.*,
           case when term is null then 0::real
                else ts_rank(c.search_document, tsq) + extensions.word_similarity(term, c.search_text) end as rank
    from public.courses c
    where c.status = 'published' and c.deleted_at is null
      and (term is null or c.search_document @@ tsq or term operator(extensions.<%) c.search_text)
      and (search_courses.category is null or c.category_id in (select tree.id from tree))
      and (search_courses.levels is null or c.level = any (search_courses.levels))
      and (search_courses.lang is null or c.language = search_courses.lang
           or c.language like search_courses.lang || '-%')
      and (not coalesce(search_courses.free_only, false) or c.is_free)
      and (search_courses.min_price is null or coalesce(c.list_price_amount, 0) >= search_courses.min_price)
      and (search_courses.max_price is null or coalesce(c.list_price_amount, 0) <= search_courses.max_price)
      and (search_courses.currency is null or c.is_free or c.list_price_currency = search_courses.currency)
      and (search_courses.min_rating is null or c.rating_avg >= search_courses.min_rating)
      and (search_courses.instructor is null
           or c.id in (select ci.course_id from public.course_instructors ci where ci.user_id = search_courses.instructor))
  ),
  keyed as (
    select h.*,
           (case search_courses.sort
              when 'relevance' then -h.rank::numeric
              when 'newest' then -extract(epoch from h.published_at)::numeric
              when 'rating' then -(coalesce(h.rating_avg, 0) * 1000000 + least(h.rating_count, 999999))
              when 'price_low' then coalesce(h.list_price_amount, 0)::numeric
              when 'price_high' then -coalesce(h.list_price_amount, 0)::numeric
            end) as sort_key
    from hits h
  )
  select k.id, k.slug, k.title, k.subtitle, k.level, k.language, k.category_id, k.thumbnail_path, k.tags,
         k.is_free, k.list_price_amount, k.list_price_currency, k.rating_avg, k.rating_count, k.instructors,
         k.published_at, k.rank, k.sort_key::text || '|' || k.id::text
  from keyed k
  where search_courses.after is null or (k.sort_key, k.id) > (after_key, after_id)
  order by k.sort_key, k.id
  limit search_courses.page_size;
end;
$$;
comment on function public.search_courses(text, uuid, public.course_level[], text, bigint, bigint, text, numeric,
  uuid, boolean, public.course_sort, text, integer) is
  'Search published courses. Pass the last row''s cursor as `after` for the next page.';
revoke all on function public.search_courses(text, uuid, public.course_level[], text, bigint, bigint, text, numeric,
  uuid, boolean, public.course_sort, text, integer) from public;
grant execute on function public.search_courses(text, uuid, public.course_level[], text, bigint, bigint, text, numeric,
  uuid, boolean, public.course_sort, text, integer) to anon, authenticated;
