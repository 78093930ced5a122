"""The pages people open in a browser (server-rendered; the JSON API lives in api/)."""
