"""Moving records in and out of a Rolodex server as CSV or JSON Lines, through the client."""
