-- Every network lookup reads its organizers: an index of organizers only.
CREATE INDEX memberships_organizers ON memberships (network_id, member_id) WHERE organizer;
