/**
 * The continent of a country, as `request.cf.continent` carries it beside `request.cf.country`: AF,
 * AN, AS, EU, NA, OC or SA. Pure data.
 *
 * At the edge both come with every request, so rules and geo steering may look at either. A request
 * described to the explain endpoint by its country alone is treated as the edge treats a client
 * from there: with that country's continent (an explicitly described continent wins). The table
 * covers the 249 ISO 3166-1 alpha-2 codes and XK (Kosovo), grouped as GeoNames groups them:
 * Turkey and the Caucasus in Asia, Russia and Cyprus in Europe, Central America and the Caribbean
 * in North America. For a transcontinental country Cloudflare's own data may say otherwise; a
 * caller who knows better describes the continent. Codes with no place (`XX`, Tor's `T1`) have none.
 */

const BY_CONTINENT: Readonly<Record<string, string>> = {
  AF: "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW",
  AN: "AQ BV GS HM TF",
  AS: "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE",
  EU: "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK",
  NA: "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM PR SV SX TC TT US VC VG VI",
  OC: "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
  SA: "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
};

const CONTINENT_OF = new Map<string, string>();
for (const [continent, countries] of Object.entries(BY_CONTINENT)) {
  for (const country of countries.split(" ")) CONTINENT_OF.set(country, continent);
}

/**
 * The continent code of an ISO 3166-1 alpha-2 country code (either case); null for an unknown code.
 * @example continentOf("DE") // "EU"
 */
export function continentOf(country: string): string | null {
  return CONTINENT_OF.get(country.toUpperCase()) ?? null;
}
