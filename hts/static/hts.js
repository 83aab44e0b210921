// hts front end: GOV.UK Frontend components and the small Leaflet maps.
// Loaded as an ES module from base.html; Leaflet (window.L) is loaded by the pages with a map.
import { initAll } from "./vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();

/**
 * Read a map's markers from its data-markers attribute: a JSON list of
 * {lat, lng, label, number?}. A bad attribute gives no markers rather than a broken page:
 * the table beside the map always carries the same information.
 */
function readMarkers(element) {
  try {
    const markers = JSON.parse(element.dataset.markers || "[]");
    return markers.filter(
      (m) => Number.isFinite(m.lat) && Number.isFinite(m.lng),
    );
  } catch {
    return [];
  }
}

/** A numbered marker (route stops) drawn in CSS, or Leaflet's default pin. */
function markerIcon(L, marker) {
  if (marker.number === undefined || marker.number === null) {
    return new L.Icon.Default();
  }
  return L.divIcon({
    className: "hts-map__stop" + (marker.kind ? " hts-map__stop--" + marker.kind : ""),
    html: String(marker.number).replace(/[^0-9A-Za-z]/g, ""),
    iconSize: [28, 28],
    iconAnchor: [14, 14],
  });
}

/** Draw one [data-hts-map] element: markers, an optional line, tiles only when configured. */
function drawMap(L, element) {
  const markers = readMarkers(element);
  if (markers.length === 0) {
    element.hidden = true;
    return;
  }
  const map = L.map(element, { scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25 });
  const tiles = element.dataset.tiles;
  if (tiles) {
    L.control.attribution({ prefix: false }).addTo(map);
    L.tileLayer(tiles, {
      maxZoom: 19,
      attribution: element.dataset.tilesAttribution || "",
    }).addTo(map);
  } else {
    element.classList.add("hts-map--blank");
  }
  const points = [];
  for (const marker of markers) {
    const point = [marker.lat, marker.lng];
    points.push(point);
    // Markers are pictures, not controls: overlapping stops would make tiny, crowded click
    // targets, and the numbered table beside the map carries the same information.
    L.marker(point, {
      icon: markerIcon(L, marker),
      alt: marker.label || "",
      interactive: false,
      keyboard: false,
    }).addTo(map);
  }
  if (element.dataset.line === "true" && points.length > 1) {
    L.polyline(points, { className: "hts-map__line", interactive: false }).addTo(map);
  }
  if (points.length === 1) {
    map.setView(points[0], 15);
  } else {
    map.fitBounds(points, { padding: [30, 30], maxZoom: 16 });
  }
}

const maps = document.querySelectorAll("[data-hts-map]");
if (maps.length > 0 && window.L) {
  for (const element of maps) {
    drawMap(window.L, element);
  }
}
