/* The map of a crew route (templates routing/route.html and routing/route_sheet.html).
 *
 * Draws the route line on the roads (or straight legs when no network is loaded), the depot,
 * and the stops as numbered markers coloured by their state; follows the crew's position when
 * the browser shares it; hands a stop over to the phone's navigator. Tiles come from the
 * configured TILE_URL: when they cannot load, the route still shows on a blank background.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("route-map-config").textContent);
  const container = document.getElementById("route-map");

  function numberedIcon(text, className) {
    return L.divIcon({
      className: "",
      html: '<span class="' + className + '">' + text + "</span>",
      iconSize: [28, 28],
      iconAnchor: [14, 14],
    });
  }

  function drawMap() {
    if (!container || typeof L === "undefined") return;
    const map = L.map(container, { zoomSnap: 0.5 });
    L.tileLayer(config.tileUrl, {
      attribution: config.tileAttribution,
      subdomains: config.tileSubdomains,
      maxZoom: 19,
    }).addTo(map);
    const depot = [config.depot.lat, config.depot.lon];
    const stops = config.stops.map((stop) => [stop.lat, stop.lon]);
    const line = config.line.length ? config.line : [depot, ...stops, depot];
    const routeLine = L.polyline(line, { color: "#1d4ed8", weight: 4, opacity: 0.8 }).addTo(map);
    L.marker(depot, {
      icon: numberedIcon("D", "depot-marker"),
      title: config.depot.name,
      keyboard: false,
    }).addTo(map);
    config.stops.forEach((stop) => {
      const marker = L.marker([stop.lat, stop.lon], {
        icon: numberedIcon(String(stop.n), "stop-marker state-" + stop.state),
        title: stop.label,
        keyboard: false,
      }).addTo(map);
      marker.on("click", () => {
        const item = document.getElementById("stop-" + stop.n);
        if (item) item.scrollIntoView({ behavior: "smooth", block: "start" });
      });
    });
    map.invalidateSize();
    map.fitBounds(routeLine.getBounds(), { padding: [32, 32] });
    container.dataset.ready = "true";
    return map;
  }

  function followPosition(map) {
    const button = document.getElementById("locate-me");
    const status = document.getElementById("locate-status");
    if (!map || !button || !("geolocation" in navigator)) return;
    let here = null;
    button.hidden = false;
    button.addEventListener("click", () => {
      status.textContent = gettext("Looking for your position…");
      navigator.geolocation.watchPosition(
        (position) => {
          const point = [position.coords.latitude, position.coords.longitude];
          if (here) {
            here.setLatLng(point);
          } else {
            here = L.circleMarker(point, { radius: 8, color: "#fff", fillColor: "#2563eb", fillOpacity: 1, weight: 3 })
              .addTo(map)
              .bindTooltip(gettext("You are here"));
            map.panTo(point);
          }
          status.textContent = gettext("Your position is on the map.");
        },
        () => {
          status.textContent = gettext("Your position is not available.");
        },
        { enableHighAccuracy: true, maximumAge: 15000 }
      );
    });
  }

  // Android hands a geo: link to the navigator the crew chose; iPhones open Apple Maps.
  function navigatorLinks() {
    if (!/iPhone|iPad|iPod/.test(navigator.userAgent)) return;
    document.querySelectorAll("a.navigate").forEach((link) => {
      link.href = "maps://?daddr=" + link.dataset.lat + "," + link.dataset.lon;
    });
  }

  const printButton = document.getElementById("print-sheet");
  if (printButton) printButton.addEventListener("click", () => window.print());
  followPosition(drawMap());
  navigatorLinks();
})();
