"""GPX 1.1 of a crew route: the numbered stops as waypoints and the road line as a track."""

from xml.etree import ElementTree as ET

from routing.models import CrewRoute

GPX_NS = "http://www.topografix.com/GPX/1/1"


def route_gpx(route: CrewRoute) -> bytes:
    """Return the GPX document of a route (stops in order; the line when on roads)."""
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {"version": "1.1", "creator": "Segnala"})
    for stop in route.stops.select_related("issue__category").order_by("position"):
        point = stop.issue.location
        waypoint = ET.SubElement(
            root, f"{{{GPX_NS}}}wpt", {"lat": f"{point.y:.7f}", "lon": f"{point.x:.7f}"}
        )
        ET.SubElement(
            waypoint, f"{{{GPX_NS}}}name"
        ).text = f"{stop.position}. #{stop.issue_id} {stop.issue.category.name}"
        ET.SubElement(waypoint, f"{{{GPX_NS}}}desc").text = stop.issue.address
    if route.line:
        track = ET.SubElement(root, f"{{{GPX_NS}}}trk")
        ET.SubElement(track, f"{{{GPX_NS}}}name").text = f"{route.crew} {route.plan.date}"
        segment = ET.SubElement(track, f"{{{GPX_NS}}}trkseg")
        for lon, lat in route.line:
            ET.SubElement(segment, f"{{{GPX_NS}}}trkpt", {"lat": f"{lat:.7f}", "lon": f"{lon:.7f}"})
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
