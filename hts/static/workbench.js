// The workbench map: a school's routes, each in its own colour and dash pattern, with numbered
// stops carrying the route's letter (so colour is never the only clue), the school, and the
// homes of pupils on no route. The tables on the page carry the same information; without
// Leaflet or tiles the page is still whole.
(function () {
  "use strict";
  const L = window.L;
  if (!L) {
    return;
  }

  /** The JSON the server put in data-plan, or null when it cannot be read. */
  function readPlan(element) {
    try {
      const plan = JSON.parse(element.dataset.plan || "null");
      return plan && plan.school ? plan : null;
    } catch {
      return null;
    }
  }

  /** Letters and digits only: marker text goes into the icon's HTML. */
  function safe(text) {
    return String(text).replace(/[^0-9A-Za-z]/g, "");
  }

  function icon(className, text, width) {
    return L.divIcon({
      className: className,
      html: safe(text),
      iconSize: [width, 24],
      iconAnchor: [width / 2, 12],
    });
  }

  // Markers are pictures, not controls: the numbered table beside the map is the way in.
  function picture(point, markerIcon, label) {
    return L.marker(point, {
      icon: markerIcon,
      alt: label,
      title: label,
      interactive: false,
      keyboard: false,
    });
  }

  function draw(element) {
    const plan = readPlan(element);
    if (!plan) {
      element.hidden = true;
      return;
    }
    const map = L.map(element, { scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25 });
    if (element.dataset.tiles) {
      L.control.attribution({ prefix: false }).addTo(map);
      L.tileLayer(element.dataset.tiles, { maxZoom: 19 }).addTo(map);
    } else {
      element.classList.add("hts-map--blank");
    }
    const school = [plan.school.lat, plan.school.lng];
    const bounds = [school];
    const layers = {};
    for (const route of plan.routes || []) {
      const colour = Number(route.colour) % 8;
      const stops = (route.stops || []).filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lng));
      const line = stops.map((s) => [s.lat, s.lng]);
      // Every stop in travel order, the schools' included (a nearby school's on a shared route).
      const path = (route.path || []).filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
      const group = L.featureGroup().addTo(map);
      if (path.length > 1) {
        L.polyline(path, { className: "hts-wb-line hts-wb-line--" + colour, interactive: false }).addTo(group);
      }
      for (const stop of stops) {
        const text = safe(route.key) + safe(stop.number);
        picture([stop.lat, stop.lng], icon("hts-wb-stop hts-wb-key--" + colour, text, 12 + 9 * text.length),
                stop.label).addTo(group);
        bounds.push([stop.lat, stop.lng]);
      }
      const others = (route.schools || []).filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lng));
      for (const other of others) {
        picture([other.lat, other.lng], icon("hts-map__stop hts-map__stop--school hts-wb-school", "School", 64),
                other.label).addTo(group);
        bounds.push([other.lat, other.lng]);
      }
      layers[safe(route.key)] = { group: group, points: [school, ...line, ...others.map((s) => [s.lat, s.lng])] };
    }
    for (const home of plan.homes || []) {
      if (Number.isFinite(home.lat) && Number.isFinite(home.lng)) {
        picture([home.lat, home.lng], icon("hts-wb-home", "H", 24), home.label).addTo(map);
        bounds.push([home.lat, home.lng]);
      }
    }
    picture(school, icon("hts-map__stop hts-map__stop--school hts-wb-school", "School", 64), plan.school.label)
      .addTo(map);
    const fit = (points) => {
      if (points.length === 1) {
        map.setView(points[0], 15);
      } else {
        map.fitBounds(points, { padding: [30, 30], maxZoom: 16 });
      }
    };
    fit(bounds);
    // The page's layout may settle after the map is drawn (the side-by-side grid).
    window.addEventListener("load", () => {
      map.invalidateSize();
      fit(bounds);
    });
    enableFocus(map, layers, () => fit(bounds), fit);
  }

  /** The letter buttons in the table: show one route on its own, or every route again. */
  function enableFocus(map, layers, fitAll, fit) {
    for (const help of document.querySelectorAll("[data-wb-help]")) {
      help.hidden = false;
    }
    for (const text of document.querySelectorAll("[data-wb-key-text]")) {
      text.hidden = true;
    }
    for (const button of document.querySelectorAll("[data-wb-focus]")) {
      button.hidden = false;
      button.addEventListener("click", () => {
        const key = safe(button.dataset.wbFocus);
        for (const [name, layer] of Object.entries(layers)) {
          if (!key || name === key) {
            layer.group.addTo(map);
          } else {
            layer.group.remove();
          }
        }
        if (key && layers[key]) {
          fit(layers[key].points);
        } else {
          fitAll();
        }
        for (const other of document.querySelectorAll("[data-wb-focus]")) {
          other.setAttribute("aria-pressed", String(Boolean(key) && other.dataset.wbFocus === key));
        }
      });
    }
  }

  for (const element of document.querySelectorAll("[data-hts-workbench-map]")) {
    draw(element);
  }
})();
