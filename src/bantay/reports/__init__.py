"""Platform reports: intake (schema, validation, storage), linking to the money, triage, export.

No web framework here: the intake API (:mod:`bantay.web.routers.reports`) and the command line
call these modules.
"""
