from django.urls import path

from maps_static import views

urlpatterns = [
    path("map/", views.public_map, name="map"),
    path("map/list/", views.public_list, name="map-list"),
    path("map/viewport", views.viewport_data, name="map-viewport"),
    path("map/tiles/<int:z>/<int:x>/<int:y>.pbf", views.viewport_tile_data, name="map-tile"),
    path("map/issues/<int:pk>/summary", views.issue_summary, name="map-issue-summary"),
    path("departments/<int:pk>/map/", views.queue_map, name="queue-map"),
]
