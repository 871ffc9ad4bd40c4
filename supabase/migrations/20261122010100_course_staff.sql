-- Course staff: who teaches a course, and who manages it.
--
-- A course's staff are its owner and its co-instructors (course_instructors). A course in the
-- trash stays with its owner only, who may restore it; its co-instructors lose it with everyone
-- else. Those who manage a course are its staff and every admin (private.managed_course_ids() /
-- private.can_manage_course()): they edit the course, its outline, content and files, and read
-- its students' entitlements and progress. Every later "the course's instructors and admins" asks
-- these helpers. Instructors create their own courses; the owner (or an admin) adds and removes
-- co-instructors, who must hold the instructor role.

-- ---------------------------------------------------------------------------------------------
-- Who teaches, who manages
-- ---------------------------------------------------------------------------------------------

-- Courses `user_id` teaches (owner or co-instructor). A deleted course stays here for its owner
-- only (the trash view); co-instructors lose it with everyone else. Who a course's staff are, for
-- every course rule and for selling (private.sellable_offer_ids). About another user: our SQL
-- functions only.
create function private.instructed_course_ids(user_id uuid) returns setof uuid
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return query select ci.course_id from public.course_instructors ci join public.courses c on c.id = ci.course_id
  where ci.user_id = instructed_course_ids.user_id and (c.deleted_at is null or c.owner_id = ci.user_id);
end;
$$;

-- Courses the caller manages: edits, with their content and files, and whose students'
-- entitlements and progress they read. Every course for admins; otherwise the courses they teach.
-- Policies: `course_id in (select private.managed_course_ids())`.
create function private.managed_course_ids() returns setof uuid
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  if private.is_admin() then
    return query select c.id from public.courses c;
  else
    return query select private.instructed_course_ids((select auth.uid()));
  end if;
end;
$$;

-- The same rule for one course (SQL functions): an admin, or a course the caller teaches.
create function private.can_manage_course(course_id uuid) returns boolean
language plpgsql stable
security definer
set search_path = ''
as $$
begin
  return private.is_admin()
      or can_manage_course.course_id in (select private.instructed_course_ids((select auth.uid())));
end;
$$;

revoke all on function private.instructed_course_ids(uuid) from public;
revoke all on function private.managed_course_ids() from public;
revoke all on function private.can_manage_course(uuid) from public;
grant execute on function private.managed_course_ids() to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- Policies: creating and editing courses (who may see one: the access migration)
-- ---------------------------------------------------------------------------------------------

create policy "instructors create their own courses"
  on public.courses for insert to authenticated
  with check ((select private.is_instructor()) and owner_id = (select auth.uid()));

create policy "instructors edit their courses; admins all"
  on public.courses for update to authenticated
  using (id in (select private.managed_course_ids()))
  with check (id in (select private.managed_course_ids()));

-- ---------------------------------------------------------------------------------------------
-- Co-instructors: course owners and admins manage them
-- ---------------------------------------------------------------------------------------------

create function private.require_course_owner(course_id uuid) returns uuid
language plpgsql stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  caller uuid := auth.uid();
begin
  if not exists (select 1 from public.courses c where c.id = require_course_owner.course_id and c.deleted_at is null) then
    raise exception 'course not found' using errcode = 'PT404', detail = 'course_not_found';
  end if;
  if caller is null or not (
    exists (select 1 from public.courses c where c.id = require_course_owner.course_id and c.owner_id = caller)
    or private.is_admin()
  ) then
    raise exception 'only the course owner or an admin can manage its instructors' using errcode = '42501',
      detail = 'not_course_owner';
  end if;
  return caller;
end;
$$;
revoke all on function private.require_course_owner(uuid) from public;

create function public.add_course_instructor(course_id uuid, user_id uuid) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform private.require_course_owner(add_course_instructor.course_id);
  if not private.is_instructor(add_course_instructor.user_id) then
    raise exception 'that user is not an instructor' using errcode = 'P0001', detail = 'not_an_instructor',
      hint = 'An admin must grant them the instructor role first.';
  end if;
  insert into public.course_instructors (course_id, user_id, role)
  values (add_course_instructor.course_id, add_course_instructor.user_id, 'co_instructor')
  on conflict (course_id, user_id) do nothing;
  return found;
end;
$$;

create function public.remove_course_instructor(course_id uuid, user_id uuid) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  perform private.require_course_owner(remove_course_instructor.course_id);
  if exists (select 1 from public.courses c where c.id = remove_course_instructor.course_id
             and c.owner_id = remove_course_instructor.user_id) then
    raise exception 'the owner cannot be removed from their course' using errcode = 'P0001', detail = 'is_owner';
  end if;
  delete from public.course_instructors ci
  where ci.course_id = remove_course_instructor.course_id and ci.user_id = remove_course_instructor.user_id;
  return found;
end;
$$;

revoke all on function public.add_course_instructor(uuid, uuid) from public, anon;
revoke all on function public.remove_course_instructor(uuid, uuid) from public, anon;
grant execute on function public.add_course_instructor(uuid, uuid) to authenticated;
grant execute on function public.remove_course_instructor(uuid, uuid) to authenticated;
