-- Submission files: the private `submissions` bucket, and who may put and read files there.
--
-- A student's files for an assignment live in their own folder:
-- <course id>/<assignment id>/<user id>/<file>. They upload there (private.may_upload_submission())
-- while they may submit to that assignment (private.submission_refusal(), the submissions
-- migration), files of a type and size it accepts; they read their own folder; they never replace
-- or delete a file, so every submission keeps the files it was graded on. The course's staff and
-- admins read their courses' folders (private.managed_course_ids(), so staff removed from a course
-- lose them at once); nobody else reads anything. A path is checked segment by segment against
-- the caller's own id and an assignment of that course, in canonical form (lower-case uuids,
-- exactly four segments), so no spelling of a path (`..`, another user's or assignment's id, an
-- encoded slash, which Storage decodes before it asks) reaches another folder.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('submissions', 'submissions', false, 52428800, null)
on conflict (id) do update
  set public = excluded.public,
      file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

-- Whether the caller may upload `name` (with Storage's `metadata`: mimetype, size, when known) to
-- the submissions bucket: their own folder of an assignment they may submit to now, a file it
-- accepts.
create function private.may_upload_submission(name text, metadata jsonb) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  parts text[] := string_to_array(may_upload_submission.name, '/');
  uuid_form constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
  a public.assignments;
begin
  if cardinality(parts) is distinct from 4 or parts[1] !~ uuid_form or parts[2] !~ uuid_form
     or parts[3] is distinct from (select auth.uid())::text or coalesce(parts[4], '') in ('', '.', '..') then
    return false;
  end if;
  select * into a from public.assignments x where x.id = parts[2]::uuid and x.course_id = parts[1]::uuid;
  if not found or private.submission_refusal(a) is not null then
    return false;
  end if;
  return private.assignment_accepts_file(a, may_upload_submission.metadata ->> 'mimetype',
    case when jsonb_typeof(may_upload_submission.metadata -> 'size') = 'number'
         then (may_upload_submission.metadata ->> 'size')::bigint end);
end;
$$;
revoke all on function private.may_upload_submission(text, jsonb) from public;
grant execute on function private.may_upload_submission(text, jsonb) to authenticated, service_role;

create policy "students upload to their own submission folder while they may submit"
  on storage.objects for insert to authenticated
  with check (bucket_id = 'submissions' and private.may_upload_submission(name, metadata));

create policy "students read their own submission files; staff their courses'"
  on storage.objects for select to authenticated
  using (bucket_id = 'submissions'
         and ((storage.foldername(name))[3] = (select auth.uid()::text)
              or private.path_course_id(name) in (select private.managed_course_ids())));
