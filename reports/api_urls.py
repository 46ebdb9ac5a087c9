from django.urls import path

from reports import api

urlpatterns = [
    path("reports/", api.ReportCreateView.as_view(), name="api-report-create"),
    path("reports/<int:pk>/", api.ReportDetailView.as_view(), name="api-report-detail"),
    path("issues/", api.IssueListView.as_view(), name="api-issue-list"),
    path("issues/<int:pk>/", api.IssueDetailView.as_view(), name="api-issue-detail"),
    path("categories/", api.CategoryListView.as_view(), name="api-category-list"),
]
