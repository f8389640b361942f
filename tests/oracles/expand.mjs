// Reads an .ics file the way a calendar client's parser does and prints what it understood,
// as JSON on stdout: the calendar's name and every event's occurrences (recurring ones
// expanded), each with its wall-clock time, its zone and its instant in UTC.
//
//   node expand.mjs icaljs FILE      ical.js, the parser of Thunderbird
//   node expand.mjs nodeical FILE    node-ical (run with TZ=UTC: floating times read as UTC)
//   node expand.mjs zones FILE YEAR  ical.js: each VTIMEZONE's changes up to YEAR, as
//                                    [UTC seconds, offset before, offset after]
//
// ical.js reads TZIDs with the file's own VTIMEZONEs only (it has no zone database of its own),
// so its answers test the VTIMEZONEs taper writes.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const [parser, file, limitText] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const limit = Number(limitText || 100000);

function icaljs() {
  const ICAL = require("ical.js");
  const root = new ICAL.Component(ICAL.parse(text));
  for (const zone of root.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(zone);
  }
  // Parsed again after registering, so every TZID meets its zone.
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    const times = [];
    if (event.isRecurring()) {
      const iterator = event.iterator();
      let next;
      while ((next = iterator.next()) && times.length < limit) {
        times.push(next);
      }
    } else {
      times.push(event.startDate);
    }
    return {
      uid: event.uid,
      summary: event.summary,
      status: component.getFirstPropertyValue("status"),
      occurrences: times.map((time) => {
        const zone = time.zone ? time.zone.tzid : "floating";
        return {
          wall: time.toICALString().replace("Z", ""),
          zone,
          utc: zone === "floating" ? null : new Date(time.toUnixTime() * 1000).toISOString(),
        };
      }),
    };
  });
  return {
    name: calendar.getFirstPropertyValue("name"),
    "x-wr-calname": calendar.getFirstPropertyValue("x-wr-calname"),
    events,
  };
}

function nodeical() {
  const ical = require("node-ical");
  const data = ical.sync.parseICS(text);
  const events = Object.values(data)
    .filter((item) => item.type === "VEVENT")
    .map((item) => ({
      uid: item.uid,
      summary: typeof item.summary === "string" ? item.summary : item.summary?.val,
      status: item.status ?? null,
      occurrences: [
        {
          zone: item.start.tz ?? "floating",
          utc: item.start.toISOString(),
        },
      ],
    }));
  const calendar = Object.values(data).find((item) => item.type === "VCALENDAR") || {};
  return { name: null, "x-wr-calname": calendar["WR-CALNAME"] ?? null, events };
}

function zones() {
  const ICAL = require("ical.js");
  const calendar = new ICAL.Component(ICAL.parse(text));
  const result = {};
  for (const component of calendar.getAllSubcomponents("vtimezone")) {
    const zone = new ICAL.Timezone(component);
    zone._ensureCoverage(limit);
    result[zone.tzid] = zone.changes
      .filter((change) => change.year <= limit)
      .map((change) => [
        Date.UTC(change.year, change.month - 1, change.day, change.hour, change.minute,
                 change.second) / 1000,
        change.prevUtcOffset,
        change.utcOffset,
      ]);
  }
  return result;
}

const parsers = { icaljs, nodeical, zones };
const result = parsers[parser] ? parsers[parser]() : null;
if (result === null) {
  console.error(`unknown parser ${parser}: use icaljs, nodeical or zones`);
  process.exit(2);
}
process.stdout.write(JSON.stringify(result));
