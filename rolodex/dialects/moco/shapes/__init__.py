"""MOCO's bodies, resource by resource: pure functions from the native representation
(an output schema's dump) to MOCO's shape and from MOCO's request bodies to native
write values, and the pydantic schemas that document (and check) both."""
