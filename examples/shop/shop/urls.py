"""URL configuration for the example shop (no views: the example is about migrations)."""

urlpatterns = []
