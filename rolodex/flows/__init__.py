"""Flows: when this happens (a Rolodex event, a connection's event), and this holds, do
that (operations of connections), with mappings in JMESPath (``/flows``)."""
