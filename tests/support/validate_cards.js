// Parse and validate Adaptive Cards with Microsoft's own renderer library (offline).
// Reads a JSON array of cards on stdin; prints a JSON array of {errors, warnings} per card.
const AC = require("adaptivecards/dist/adaptivecards.min.js");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((json) => {
    // The library checks `lang` with a global (/g) regular expression, whose lastIndex survives
    // from one test to the next: every other card with a valid "fr" would be reported invalid.
    // A renderer parses one card per page load, so start each card afresh, as it would.
    AC.CardElement.langProperty.regEx.lastIndex = 0;
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext();
    card.parse(json, context);
    const parseEvents = [];
    for (let i = 0; i < context.eventCount; i++) {
      const e = context.getEventAt(i);
      parseEvents.push({ phase: e.phase, event: e.event, message: e.message });
    }
    const validation = card.validateProperties();
    const failures = validation.validationEvents.map((e) => e.message);
    return { parseEvents, failures, version: card.version ? card.version.toString() : null };
  });
  process.stdout.write(JSON.stringify(results));
});
