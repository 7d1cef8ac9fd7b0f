-- Directory search without a table lookup per match (docs/PERFORMANCE.md,
-- "Directory search"): a broad search (a town word matches 15 % of the
-- register) looked up every matching row twice, once to count it and
-- once to sort it.
--
-- The full-text index now holds only members the directory can show
-- (erased members are left out) and marks the hidden ones, so a count is
-- the index's alone. The ascii tokenizer splits search_text only at its
-- spaces (the text is already folded to lower-case words by Go), so a
-- term "w"* matches exactly the members one of whose words starts with
-- w, as Postgres's members_search index does. detail = column keeps what
-- the column filters need, no positions. contentless_delete lets a row
-- be deleted by its rowid alone.
DROP TRIGGER members_fts_insert;
DROP TRIGGER members_fts_delete;
DROP TRIGGER members_fts_update;
DROP TABLE members_fts;
CREATE VIRTUAL TABLE members_fts USING fts5(
    search_text, flags,
    content = '', contentless_delete = 1, detail = column,
    tokenize = 'ascii', prefix = '2 3 4'
);
INSERT INTO members_fts (rowid, search_text, flags)
    SELECT id, search_text, CASE WHEN hidden = 1 THEN 'hidden' ELSE '' END FROM members WHERE erased = 0;
CREATE TRIGGER members_fts_insert AFTER INSERT ON members WHEN new.erased = 0 BEGIN
    INSERT INTO members_fts (rowid, search_text, flags)
        VALUES (new.id, new.search_text, CASE WHEN new.hidden = 1 THEN 'hidden' ELSE '' END);
END;
CREATE TRIGGER members_fts_delete AFTER DELETE ON members BEGIN
    DELETE FROM members_fts WHERE rowid = old.id;
END;
CREATE TRIGGER members_fts_update AFTER UPDATE OF search_text, hidden, erased ON members
WHEN old.search_text IS NOT new.search_text OR old.hidden IS NOT new.hidden OR old.erased IS NOT new.erased BEGIN
    DELETE FROM members_fts WHERE rowid = old.id;
    INSERT INTO members_fts (rowid, search_text, flags)
        SELECT new.id, new.search_text, CASE WHEN new.hidden = 1 THEN 'hidden' ELSE '' END WHERE new.erased = 0;
END;

-- Indexes that serve a search's count and its page in sort order without
-- reading the table: the directory in sort order with the words a
-- broad search checks, and each filter in sort order with what its count
-- checks. Erased members are in none of them.
DROP INDEX members_town;
DROP INDEX members_industry;
DROP INDEX members_company;
DROP INDEX members_sort;
CREATE INDEX members_directory ON members (sort_key, id, hidden, search_text) WHERE erased = 0;
CREATE INDEX members_town ON members (town_key, sort_key, id, hidden, industry_key) WHERE erased = 0;
CREATE INDEX members_industry ON members (industry_key, sort_key, id, hidden) WHERE erased = 0;
CREATE INDEX members_company ON members (company_key, sort_key, id, hidden) WHERE erased = 0;
