-- Doubt files: the private `doubts` bucket of Q&A attachments, and who may put and read files there.
--
-- A poster's files for a question live in their own folder of it:
-- <course id>/<doubt id>/<user id>/<file>. They upload there while they may post in that question
-- (private.doubt_post_refusal(), the doubts migration: its asker, its course's staff, and other
-- students where the course lets them answer; not once it is locked or hidden), images, PDFs and
-- text up to 10 MiB; then attach them with edit_doubt() or answer_doubt(). Files are never
-- replaced or deleted by clients. Readers: the uploader (their own folder), the course's staff and
-- admins (their courses' folders: private.managed_course_ids(), so staff removed from a course
-- lose them at once), and whoever may read the question or answer a file is attached to (so a
-- hidden post's files are gone for students with it). A path is checked segment by segment in
-- canonical form (lower-case uuids, exactly four segments), as for submissions.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('doubts', 'doubts', false, 10485760,
        '{image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain}')
on conflict (id) do update
  set public = excluded.public,
      file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

-- The question a doubts-bucket path names, when the path is well formed (four segments, uuids in
-- canonical form, a real file name) and the question belongs to the course it names; else null.
create function private.doubt_of_path(name text) returns public.doubts
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  parts text[] := string_to_array(doubt_of_path.name, '/');
  uuid_form constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
  d public.doubts;
begin
  if cardinality(parts) is distinct from 4 or parts[1] !~ uuid_form or parts[2] !~ uuid_form
     or parts[3] !~ uuid_form or coalesce(parts[4], '') in ('', '.', '..') then
    return null;
  end if;
  select * into d from public.doubts x where x.id = parts[2]::uuid and x.course_id = parts[1]::uuid;
  return d;
end;
$$;
revoke all on function private.doubt_of_path(text) from public;

-- Whether the caller may upload `name` to the doubts bucket: their own folder of a question they
-- may post in now.
create function private.may_upload_doubt_file(name text) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  d public.doubts := private.doubt_of_path(may_upload_doubt_file.name);
begin
  return d.id is not null
     and split_part(may_upload_doubt_file.name, '/', 3) = (select auth.uid())::text
     and private.doubt_post_refusal(d) is null;
end;
$$;
revoke all on function private.may_upload_doubt_file(text) from public;
grant execute on function private.may_upload_doubt_file(text) to authenticated, service_role;

-- Whether the caller may read `name`: attached to a question or an answer they may read.
create function private.may_read_doubt_file(name text) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
declare
  d public.doubts := private.doubt_of_path(may_read_doubt_file.name);
  attached jsonb := jsonb_build_array(jsonb_build_object('path', may_read_doubt_file.name));
begin
  if d.id is null or not private.doubt_visible(d) then
    return false;
  end if;
  return d.files @> attached
      or exists (select 1 from public.doubt_answers a
                 where a.doubt_id = d.id and a.files @> attached
                   and (a.hidden_at is null or a.user_id = (select auth.uid())
                        or private.can_manage_course(d.course_id)));
end;
$$;
revoke all on function private.may_read_doubt_file(text) from public;
grant execute on function private.may_read_doubt_file(text) to authenticated, service_role;

create policy "posters upload to their own folder of a question they may post in"
  on storage.objects for insert to authenticated
  with check (bucket_id = 'doubts' and private.may_upload_doubt_file(name));

create policy "uploaders read their doubt files; staff their courses'; readers the attached ones"
  on storage.objects for select to authenticated
  using (bucket_id = 'doubts'
         and ((storage.foldername(name))[3] = (select auth.uid()::text)
              or private.path_course_id(name) in (select private.managed_course_ids())
              or private.may_read_doubt_file(name)));
