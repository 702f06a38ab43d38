-- The steady refresh re-reads unchanged tickets and contacts all day: the change counter (what
-- rule previews and the lists follow) moves only when something a lead can see changed, not when a
-- record was merely read again (its synced_at).
DROP TRIGGER tickets_gen_update;
CREATE TRIGGER tickets_gen_update AFTER UPDATE ON tickets
WHEN OLD.status IS NOT NEW.status OR OLD.subject IS NOT NEW.subject
  OR OLD.preview IS NOT NEW.preview OR OLD.contact_id IS NOT NEW.contact_id
  OR OLD.channel_id IS NOT NEW.channel_id OR OLD.user_id IS NOT NEW.user_id
  OR OLD.team_id IS NOT NEW.team_id OR OLD.created_at IS NOT NEW.created_at
  OR OLD.updated_at IS NOT NEW.updated_at OR OLD.assigned_at IS NOT NEW.assigned_at
  OR OLD.closed_at IS NOT NEW.closed_at OR OLD.last_message_at IS NOT NEW.last_message_at
  OR OLD.in_working_set IS NOT NEW.in_working_set
BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;

DROP TRIGGER ticket_json_gen_update;
CREATE TRIGGER ticket_json_gen_update AFTER UPDATE ON ticket_json
WHEN OLD.json IS NOT NEW.json
BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;

DROP TRIGGER contacts_gen_update;
CREATE TRIGGER contacts_gen_update AFTER UPDATE ON contacts
WHEN OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.phone IS NOT NEW.phone
  OR OLD.identifier IS NOT NEW.identifier OR OLD.json IS NOT NEW.json
BEGIN
    UPDATE cache_gen SET n = n + 1 WHERE id = 1;
END;
