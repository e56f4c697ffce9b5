from compliance import trail_urls, workbench_urls

app_name = "compliance"
urlpatterns = [*workbench_urls.urlpatterns, *trail_urls.urlpatterns]
