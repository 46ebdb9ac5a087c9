from django.urls import path

from reports import api

urlpatterns = [
    path("reports/", api.ReportCreateView.as_view(), name="api-report-create"),
    path("reports/<int:pk>/", api.ReportDetailView.as_view(), name="api-report-detail"),
    path("issues/", api.IssueListView.as_view(), name="api-issue-list"),
    path("issues/nearby/", api.IssueNearbyView.as_view(), name="api-issue-nearby"),
    path("issues/<int:pk>/", api.IssueDetailView.as_view(), name="api-issue-detail"),
    path("issues/<int:pk>/support/", api.IssueSupportView.as_view(), name="api-issue-support"),
    path("issues/<int:pk>/merge/", api.IssueMergeView.as_view(), name="api-issue-merge"),
    path("issues/<int:pk>/split/", api.IssueSplitView.as_view(), name="api-issue-split"),
    path("categories/", api.CategoryListView.as_view(), name="api-category-list"),
    path("addresses/", api.AddressSearchView.as_view(), name="api-address-search"),
    path("addresses/at/", api.AddressAtView.as_view(), name="api-address-at"),
]
