-- Course files in Storage.
--
-- course-materials (private): <course id>/<lesson id>/<file>. A file is readable exactly when its
-- lesson_materials row is readable (the policy asks that table, under the caller's own RLS), so
-- the readers rule of the lesson content migration (access, drip, prerequisites, previews)
-- applies to downloads too. The course's instructors and admins write.
-- course-media (public): <course id>/<file>, thumbnails and promo images. Anyone reads through
-- the public URL; the course's instructors and admins write.
-- A path is not a row with a foreign key: a file can outlive its course, or name none. Admins
-- manage every path in these buckets, so the policies keep "or an admin" next to
-- private.managed_course_ids() (which holds only existing courses).

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values
  ('course-materials', 'course-materials', false, 524288000, null),
  ('course-media', 'course-media', true, 10485760, array['image/png', 'image/jpeg', 'image/webp', 'image/gif'])
on conflict (id) do update
  set public = excluded.public,
      file_size_limit = excluded.file_size_limit,
      allowed_mime_types = excluded.allowed_mime_types;

-- The course id a course-materials/course-media path starts with, or null if it is malformed.
create function private.path_course_id(name text) returns uuid
language plpgsql immutable
set search_path = ''
as $$
begin
  return (storage.foldername(path_course_id.name))[1]::uuid;
exception when invalid_text_representation then
  return null;
end;
$$;
revoke all on function private.path_course_id(text) from public;
grant execute on function private.path_course_id(text) to authenticated, service_role;

create policy "readers download materials of lessons they may read; instructors see their course files"
  on storage.objects for select to authenticated
  using ((bucket_id = 'course-materials'
          and exists (select 1 from public.lesson_materials m where m.storage_path = objects.name))
         or (bucket_id in ('course-materials', 'course-media')
             and ((select private.is_admin()) or private.path_course_id(name) in (select private.managed_course_ids()))));

create policy "instructors upload course files"
  on storage.objects for insert to authenticated
  with check (bucket_id in ('course-materials', 'course-media')
              and ((select private.is_admin()) or private.path_course_id(name) in (select private.managed_course_ids())));

create policy "instructors replace course files"
  on storage.objects for update to authenticated
  using (bucket_id in ('course-materials', 'course-media')
         and ((select private.is_admin()) or private.path_course_id(name) in (select private.managed_course_ids())))
  with check (bucket_id in ('course-materials', 'course-media')
              and ((select private.is_admin()) or private.path_course_id(name) in (select private.managed_course_ids())));

create policy "instructors delete course files"
  on storage.objects for delete to authenticated
  using (bucket_id in ('course-materials', 'course-media')
         and ((select private.is_admin()) or private.path_course_id(name) in (select private.managed_course_ids())));

create policy "anyone downloads preview materials of published courses"
  on storage.objects for select to anon
  using (bucket_id = 'course-materials'
         and exists (select 1 from public.lesson_materials m where m.storage_path = objects.name));
