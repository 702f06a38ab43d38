-- The contact index: every contact of the workspace with its custom field values, read page by
-- page (Trengo's /contacts has no updated-since filter), so enrichment can say "not found" and
-- mean it.

-- Each custom field value of each contact, by field name, as written and normalised for lookups.
CREATE TABLE contact_fields (
    contact_id  INTEGER NOT NULL,
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    norm        TEXT NOT NULL,   -- trimmed, lower case
    PRIMARY KEY (contact_id, field)
) WITHOUT ROWID;
CREATE INDEX contact_fields_lookup ON contact_fields (field, norm);

-- Which pass of the contact list last saw a contact (contacts no pass sees any more were deleted).
ALTER TABLE contacts ADD COLUMN seen_pass INTEGER NOT NULL DEFAULT 0;
CREATE INDEX contacts_email ON contacts (email COLLATE NOCASE);

-- Contacts already cached (from ticket lists) get their values indexed.
INSERT OR IGNORE INTO contact_fields (contact_id, field, value, norm)
SELECT c.id, f.key,
       CASE json_type(f.value) WHEN 'text' THEN f.value ELSE CAST(f.value AS TEXT) END,
       lower(trim(CASE json_type(f.value) WHEN 'text' THEN f.value ELSE CAST(f.value AS TEXT) END))
FROM contacts c, json_each(json_extract(c.json, '$.custom_fields')) f
WHERE f.value IS NOT NULL AND json_type(f.value) NOT IN ('null', 'object', 'array');
