-- Certificates: issued when a course is completed, verifiable by anyone, revocable by admins.
--
-- A certificate is issued by the database itself, the moment course_progress.completed_at is set
-- (private.refresh_course_progress sets it once, when every required lesson is complete; quiz and
-- assignment lessons count only once passed, so completion already covers the course's rules). It
-- is issued once per student and course however often the rule fires (a unique key, `on conflict
-- do nothing`), with an unguessable serial (96 random bits) and a snapshot of what it certifies:
-- the holder's name, the course title and its issuer (the course owner) at that moment. No client
-- writes certificates: holders read theirs, the course's staff and admins their courses'.
--
-- verify_certificate(serial) is public (anon too) and answers only the public fields: holder, course,
-- issue date, issuer, status (valid, or revoked with the date). An unknown or malformed serial gets
-- the same 404, so a probe learns nothing. Admins revoke with a reason (revoke_certificate): the
-- holder and the course owner are notified in the app and by email; revocation is final. Admins
-- re-issue a valid certificate after a name change (reissue_certificate): the snapshot is taken
-- again, the serial stays.
--
-- Each certificate also has an index in a Bitstring Status List (status_index; 131,072 entries a
-- list, the spec's minimum for group privacy): the credentials function publishes the lists,
-- with a certificate's bit set once it is revoked (certificate_status_list, service only). The
-- certificate-pdf function renders the PDF into the private `certificates` bucket and records
-- which state it rendered (certificate_pdf_saved, service only): a PDF is rendered again only when
-- that state changes (revoked or re-issued). Clients never reach the bucket; the function hands the
-- holder a short-lived signed URL.

create table public.certificates (
  id uuid primary key default gen_random_uuid(),
  serial text not null constraint certificates_serial_key unique,
  user_id uuid not null references auth.users (id) on delete cascade,
  course_id uuid not null references public.courses (id) on delete cascade,
  holder_name text not null,
  course_title text not null,
  issuer_name text not null,
  issued_at timestamptz not null default now(),
  reissued_at timestamptz,
  revoked_at timestamptz,
  revoked_by uuid references auth.users (id) on delete set null,
  revocation_reason text,
  status_index integer not null generated always as identity (minvalue 0 start with 0)
    constraint certificates_status_index_key unique,
  -- The state the PDF must show: it changes when the certificate is revoked or re-issued.
  changed_at timestamptz not null generated always as (greatest(issued_at, reissued_at, revoked_at)) stored,
  pdf_path text,
  pdf_rendered_for timestamptz,
  constraint certificates_user_course_key unique (user_id, course_id),
  constraint certificates_revocation_valid check ((revoked_at is null) = (revocation_reason is null))
);
create index certificates_course_id_idx on public.certificates (course_id);
create index certificates_revoked_by_idx on public.certificates (revoked_by);
create index certificates_revoked_status_index_idx on public.certificates (status_index) where revoked_at is not null;
comment on table public.certificates is
  'Course certificates. Issued by the database when a course is completed; revoked by admins. Written by SQL functions only.';
alter table public.certificates enable row level security;

grant select on public.certificates to authenticated;
grant select, insert, update, delete on public.certificates to service_role;
create policy "holders read their certificates; instructors their courses'; admins all"
  on public.certificates for select to authenticated
  using (user_id = (select auth.uid()) or course_id in (select private.managed_course_ids()));

-- The private bucket the PDFs live in: <certificate id>/<serial>-<state>.pdf. No policy lets a
-- client read, list or write it; the certificate-pdf function (service role) writes and signs.
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('certificates', 'certificates', false, 5242880, array['application/pdf'])
on conflict (id) do update
  set public = excluded.public,
      file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

-- ---------------------------------------------------------------------------------------------
-- Issuing
-- ---------------------------------------------------------------------------------------------

-- A new serial: 96 random bits as six groups of four hex digits, e.g. 3F9A-0C4E-77B1-D205-9E6A-41C8.
create function private.new_certificate_serial() returns text
language sql volatile
set search_path = ''
as $$
  select upper(regexp_replace(encode(extensions.gen_random_bytes(12), 'hex'), '(.{4})(?!$)', '\1-', 'g'))
$$;
revoke all on function private.new_certificate_serial() from public;

-- Issues the user's certificate for the course, once: returns it when it was issued now, null
-- when it already existed. The holder is notified (in the app and by email).
create function private.issue_certificate(user_id uuid, course_id uuid)
returns public.certificates
language plpgsql
security definer
set search_path = ''
as $$
declare
  cert public.certificates;
begin
  insert into public.certificates (serial, user_id, course_id, holder_name, course_title, issuer_name)
  select private.new_certificate_serial(), issue_certificate.user_id, c.id,
         coalesce(nullif(btrim(p.display_name), ''), split_part(u.email, '@', 1), 'Student'),
         c.title,
         coalesce(nullif(btrim(o.display_name), ''), 'Coursebase')
  from public.courses c
  join auth.users u on u.id = issue_certificate.user_id
  left join public.profiles p on p.id = u.id
  left join public.profiles o on o.id = c.owner_id
  where c.id = issue_certificate.course_id
  on conflict on constraint certificates_user_course_key do nothing
  returning * into cert;
  if cert.id is null then
    return null;
  end if;
  perform private.notify(cert.user_id, 'certificate_issued', 'Your certificate is ready',
    'You completed ' || cert.course_title || '.', '/certificates/' || cert.serial,
    jsonb_build_object('certificate_id', cert.id, 'serial', cert.serial, 'course_id', cert.course_id));
  perform private.enqueue_email('certificate_issued', 'essential', cert.user_id,
    jsonb_build_object('certificate_id', cert.id, 'serial', cert.serial, 'course_title', cert.course_title,
                       'holder_name', cert.holder_name),
    'certificate_issued:' || cert.id);
  return cert;
end;
$$;
revoke all on function private.issue_certificate(uuid, uuid) from public;

-- course_progress.completed_at set (it is set once and never cleared): issue the certificate.
create function private.issue_certificate_on_completion() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.completed_at is not null and (tg_op = 'INSERT' or old.completed_at is null) then
    perform private.issue_certificate(new.user_id, new.course_id);
  end if;
  return null;
end;
$$;
revoke all on function private.issue_certificate_on_completion() from public;
create trigger course_progress_issue_certificate
  after insert or update of completed_at on public.course_progress
  for each row execute function private.issue_certificate_on_completion();

-- Courses completed before certificates existed get theirs, dated at completion, without mail.
insert into public.certificates (serial, user_id, course_id, holder_name, course_title, issuer_name, issued_at)
select private.new_certificate_serial(), cp.user_id, cp.course_id,
       coalesce(nullif(btrim(p.display_name), ''), split_part(u.email, '@', 1), 'Student'),
       c.title, coalesce(nullif(btrim(o.display_name), ''), 'Coursebase'), cp.completed_at
from public.course_progress cp
join public.courses c on c.id = cp.course_id
join auth.users u on u.id = cp.user_id
left join public.profiles p on p.id = cp.user_id
left join public.profiles o on o.id = c.owner_id
where cp.completed_at is not null
order by cp.completed_at
on conflict on constraint certificates_user_course_key do nothing;

-- ---------------------------------------------------------------------------------------------
-- Verifying (anyone)
-- ---------------------------------------------------------------------------------------------

-- The public fields of the certificate with this serial (any case, surrounding spaces ignored).
-- Unknown and malformed serials raise the same 404.
create function public.verify_certificate(serial text)
returns table (holder_name text, course_title text, issued_at timestamptz, issuer text, status text,
               revoked_at timestamptz)
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return query
    select c.holder_name, c.course_title, c.issued_at, c.issuer_name,
           case when c.revoked_at is null then 'valid' else 'revoked' end, c.revoked_at
    from public.certificates c
    where c.serial = upper(btrim(verify_certificate.serial));
  if not found then
    raise exception 'certificate not found' using errcode = 'PT404', detail = 'certificate_not_found',
      hint = 'Check the serial printed on the certificate.';
  end if;
end;
$$;
comment on function public.verify_certificate(text) is
  'Anyone. The public fields of a certificate by serial: holder, course, issue date, issuer, status (valid or revoked, with the date).';
revoke all on function public.verify_certificate(text) from public;
grant execute on function public.verify_certificate(text) to anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Revoking and re-issuing (admins)
-- ---------------------------------------------------------------------------------------------

-- The certificate, locked for the rest of the transaction; raises when there is none.
create function private.lock_certificate(certificate_id uuid, out cert public.certificates)
language plpgsql
set search_path = ''
as $$
begin
  select * into cert from public.certificates c where c.id = lock_certificate.certificate_id for update;
  if not found then
    raise exception 'certificate not found' using errcode = 'PT404', detail = 'certificate_not_found';
  end if;
end;
$$;
revoke all on function private.lock_certificate(uuid) from public;

create function public.revoke_certificate(certificate_id uuid, reason text)
returns public.certificates
language plpgsql
security definer
set search_path = ''
as $$
declare
  caller uuid := private.require_admin('revoke certificates');
  why text := btrim(coalesce(revoke_certificate.reason, ''));
  cert public.certificates;
  course_owner uuid;
  payload jsonb;
begin
  if why = '' or char_length(why) > 500 then
    raise exception 'give a reason for the revocation (at most 500 characters)' using errcode = '22023',
      detail = 'invalid_reason';
  end if;
  cert := private.lock_certificate(revoke_certificate.certificate_id);
  if cert.revoked_at is not null then
    raise exception 'this certificate is already revoked' using errcode = 'PT409', detail = 'already_revoked';
  end if;
  update public.certificates c
  set revoked_at = now(), revoked_by = caller, revocation_reason = why
  where c.id = cert.id
  returning * into cert;

  payload := jsonb_build_object('certificate_id', cert.id, 'serial', cert.serial, 'course_title', cert.course_title,
                                'holder_name', cert.holder_name, 'reason', why, 'revoked_at', cert.revoked_at);
  perform private.notify(cert.user_id, 'certificate_revoked', 'Your certificate was revoked',
    'Your certificate for ' || cert.course_title || ' was revoked: ' || why, '/certificates/' || cert.serial, payload);
  perform private.enqueue_email('certificate_revoked', 'essential', cert.user_id,
    payload || jsonb_build_object('recipient', 'holder'), 'certificate_revoked:' || cert.id);
  select c.owner_id into course_owner from public.courses c where c.id = cert.course_id;
  if course_owner is not null and course_owner <> cert.user_id then
    perform private.notify(course_owner, 'certificate_revoked', 'A certificate was revoked',
      cert.holder_name || '''s certificate for ' || cert.course_title || ' was revoked: ' || why,
      '/certificates/' || cert.serial, payload);
    perform private.enqueue_email('certificate_revoked', 'essential', course_owner,
      payload || jsonb_build_object('recipient', 'owner'), 'certificate_revoked:' || cert.id || ':owner');
  end if;
  perform private.audit('certificate.revoked', 'certificate', cert.id::text,
    jsonb_build_object('serial', cert.serial, 'reason', why));
  return cert;
end;
$$;
comment on function public.revoke_certificate(uuid, text) is
  'Admins only. Revokes a certificate for good, with a reason; the holder and the course owner are notified.';

create function public.reissue_certificate(certificate_id uuid)
returns public.certificates
language plpgsql
security definer
set search_path = ''
as $$
declare
  cert public.certificates;
begin
  perform private.require_admin('re-issue certificates');
  cert := private.lock_certificate(reissue_certificate.certificate_id);
  if cert.revoked_at is not null then
    raise exception 'a revoked certificate cannot be re-issued' using errcode = 'P0001', detail = 'certificate_revoked';
  end if;
  update public.certificates c
  set holder_name = coalesce(nullif(btrim(p.display_name), ''), c.holder_name),
      course_title = co.title,
      issuer_name = coalesce(nullif(btrim(o.display_name), ''), c.issuer_name),
      reissued_at = now()
  from public.courses co
  left join public.profiles p on p.id = cert.user_id
  left join public.profiles o on o.id = co.owner_id
  where c.id = cert.id and co.id = c.course_id
  returning c.* into cert;
  perform private.audit('certificate.reissued', 'certificate', cert.id::text,
    jsonb_build_object('serial', cert.serial, 'holder_name', cert.holder_name, 'course_title', cert.course_title));
  return cert;
end;
$$;
comment on function public.reissue_certificate(uuid) is
  'Admins only. Takes the holder''s name and the course title again (after a name change); the serial stays and the PDF is rendered again.';

revoke all on function public.revoke_certificate(uuid, text) from public, anon;
revoke all on function public.reissue_certificate(uuid) from public, anon;
grant execute on function public.revoke_certificate(uuid, text) to authenticated;
grant execute on function public.reissue_certificate(uuid) to authenticated;

-- ---------------------------------------------------------------------------------------------
-- The functions' side (service_role only)
-- ---------------------------------------------------------------------------------------------

-- Entries in one Bitstring Status List (the credentials function's lists hold this many).
create function private.certificate_status_list_size() returns integer
language sql immutable
set search_path = ''
as $$ select 131072 $$;
revoke all on function private.certificate_status_list_size() from public;

-- The revoked positions in status list `list` (0-based): each certificate's status_index is
-- list * size + position.
create function public.certificate_status_list(list integer)
returns table (size integer, revoked integer[])
language sql stable
security definer
set search_path = ''
as $$
  select private.certificate_status_list_size(),
         coalesce(array_agg(c.status_index - certificate_status_list.list * private.certificate_status_list_size()
                            order by c.status_index), '{}')
  from public.certificates c
  where c.revoked_at is not null
    and c.status_index >= certificate_status_list.list * private.certificate_status_list_size()
    and c.status_index < (certificate_status_list.list + 1) * private.certificate_status_list_size()
$$;

-- Records that the PDF at `path` shows the certificate as it was at `rendered_for` (its
-- changed_at when the function read it). False, and nothing recorded, when it has changed since
-- (revoked or re-issued meanwhile): the next request renders it again.
create function public.certificate_pdf_saved(certificate_id uuid, path text, rendered_for timestamptz)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with saved as (
    update public.certificates c
    set pdf_path = certificate_pdf_saved.path, pdf_rendered_for = certificate_pdf_saved.rendered_for
    where c.id = certificate_pdf_saved.certificate_id and c.changed_at = certificate_pdf_saved.rendered_for
    returning 1
  )
  select exists (select 1 from saved)
$$;

revoke all on function public.certificate_status_list(integer) from public, anon, authenticated;
revoke all on function public.certificate_pdf_saved(uuid, text, timestamptz) from public, anon, authenticated;
grant execute on function public.certificate_status_list(integer) to service_role;
grant execute on function public.certificate_pdf_saved(uuid, text, timestamptz) to service_role;
