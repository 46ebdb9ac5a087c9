from django.urls import path

from backoffice import views

urlpatterns = [
    path("office/", views.queue, name="office-queue"),
    path("office/filters/", views.save_filter, name="office-save-filter"),
    path("office/filters/<int:pk>/delete/", views.delete_filter, name="office-delete-filter"),
    path("office/bulk/", views.bulk, name="office-bulk"),
    path("office/issues/<int:pk>/", views.issue_page, name="office-issue"),
    path("office/issues/<int:pk>/<str:action>/", views.issue_action, name="office-issue-action"),
]
