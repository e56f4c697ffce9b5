"""The REST API's shared parts: error shape, pagination, permissions, the scoped base viewset.

Every app keeps its serializers and viewsets in its own ``api`` package and registers them in
``crm.api_urls``; this package holds only what they all share, so the rules (scoping, error
format, paging) are written once.
"""
