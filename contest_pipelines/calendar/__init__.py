"""Contest calendars (issue 10): the judges' upcoming contests in PostgreSQL, and players' calendars
(preferences, the ICS feed) built from them."""
