"""The API kit, written once: errors, envelope, pagination, auth and the request pipeline."""
