"""Key pairs of the deployment, kept in the database so that every server and worker
process signs with the same one (:mod:`.store`); their private halves are encrypted with
the deployment's key ring."""
