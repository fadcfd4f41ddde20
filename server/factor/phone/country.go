package phone

// callingCodes maps every assigned ITU-T E.164 country calling code to
// the ISO 3166-1 alpha-2 code of its country, or to "" for codes of
// international networks and services that belong to no country. Codes
// are prefix-free: no code is the start of another.
var callingCodes = map[string]string{
	"1": "US", "7": "RU",
	"20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE", "33": "FR", "34": "ES", "36": "HU",
	"39": "IT", "40": "RO", "41": "CH", "43": "AT", "44": "GB", "45": "DK", "46": "SE", "47": "NO",
	"48": "PL", "49": "DE", "51": "PE", "52": "MX", "53": "CU", "54": "AR", "55": "BR", "56": "CL",
	"57": "CO", "58": "VE", "60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG",
	"66": "TH", "81": "JP", "82": "KR", "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK",
	"93": "AF", "94": "LK", "95": "MM", "98": "IR",

	"211": "SS", "212": "MA", "213": "DZ", "216": "TN", "218": "LY", "220": "GM", "221": "SN",
	"222": "MR", "223": "ML", "224": "GN", "225": "CI", "226": "BF", "227": "NE", "228": "TG",
	"229": "BJ", "230": "MU", "231": "LR", "232": "SL", "233": "GH", "234": "NG", "235": "TD",
	"236": "CF", "237": "CM", "238": "CV", "239": "ST", "240": "GQ", "241": "GA", "242": "CG",
	"243": "CD", "244": "AO", "245": "GW", "246": "IO", "247": "SH", "248": "SC", "249": "SD",
	"250": "RW", "251": "ET", "252": "SO", "253": "DJ", "254": "KE", "255": "TZ", "256": "UG",
	"257": "BI", "258": "MZ", "260": "ZM", "261": "MG", "262": "RE", "263": "ZW", "264": "NA",
	"265": "MW", "266": "LS", "267": "BW", "268": "SZ", "269": "KM", "290": "SH", "291": "ER",
	"297": "AW", "298": "FO", "299": "GL",

	"350": "GI", "351": "PT", "352": "LU", "353": "IE", "354": "IS", "355": "AL", "356": "MT",
	"357": "CY", "358": "FI", "359": "BG", "370": "LT", "371": "LV", "372": "EE", "373": "MD",
	"374": "AM", "375": "BY", "376": "AD", "377": "MC", "378": "SM", "379": "VA", "380": "UA",
	"381": "RS", "382": "ME", "383": "XK", "385": "HR", "386": "SI", "387": "BA", "389": "MK",
	"420": "CZ", "421": "SK", "423": "LI",

	"500": "FK", "501": "BZ", "502": "GT", "503": "SV", "504": "HN", "505": "NI", "506": "CR",
	"507": "PA", "508": "PM", "509": "HT", "590": "GP", "591": "BO", "592": "GY", "593": "EC",
	"594": "GF", "595": "PY", "596": "MQ", "597": "SR", "598": "UY", "599": "CW",

	"670": "TL", "672": "NF", "673": "BN", "674": "NR", "675": "PG", "676": "TO", "677": "SB",
	"678": "VU", "679": "FJ", "680": "PW", "681": "WF", "682": "CK", "683": "NU", "685": "WS",
	"686": "KI", "687": "NC", "688": "TV", "689": "PF", "690": "TK", "691": "FM", "692": "MH",

	"850": "KP", "852": "HK", "853": "MO", "855": "KH", "856": "LA", "880": "BD", "886": "TW",

	"960": "MV", "961": "LB", "962": "JO", "963": "SY", "964": "IQ", "965": "KW", "966": "SA",
	"967": "YE", "968": "OM", "970": "PS", "971": "AE", "972": "IL", "973": "BH", "974": "QA",
	"975": "BT", "976": "MN", "977": "NP", "992": "TJ", "993": "TM", "994": "AZ", "995": "GE",
	"996": "KG", "998": "UZ",

	// International networks and services: no country. Satellite phones
	// and international premium ranges are what SMS pumping targets.
	"800": "", "808": "", "870": "", "878": "", "881": "", "882": "", "883": "", "888": "",
	"979": "", "991": "",
}

// regions maps the digits after "+" that start a number of a territory
// sharing its calling code with a larger country: longer prefixes than
// the calling code, matched longest first.
var regions = map[string]string{
	"76": "KZ", "77": "KZ", // Kazakhstan shares +7 with Russia
	"4779":   "SJ",                 // Svalbard
	"35818":  "AX",                 // Åland
	"262269": "YT", "262639": "YT", // Mayotte (fixed, mobile)
	"5993": "BQ", "5994": "BQ", "5997": "BQ", // Bonaire, Sint Eustatius, Saba
	"6189162": "CC", "6189164": "CX", // Cocos (Keeling) and Christmas Islands
	"3906698": "VA", // Vatican City, in the Italian plan
	// Crown dependencies in the UK plan: their fixed-line codes and the
	// main mobile ranges of their operators (not every allocation; a
	// number outside these is GB, which only errs on the side of refusing
	// it when GB is allowed and the dependency is not).
	"441481": "GG", "447781": "GG", "447839": "GG", "447911": "GG",
	"441534": "JE", "447509": "JE", "447797": "JE", "447829": "JE", "447937": "JE",
	"441624": "IM", "447524": "IM", "447624": "IM", "447924": "IM",
}

// maxRegionLen is the length of the longest key of regions.
const maxRegionLen = 7

// nanpAreas maps the area codes of the North American Numbering Plan that
// are not the United States' to their country or territory; every other
// +1 area code (toll-free and non-geographic codes included) is US.
var nanpAreas = map[string]string{
	// Canada.
	"204": "CA", "226": "CA", "236": "CA", "249": "CA", "250": "CA", "257": "CA", "263": "CA",
	"289": "CA", "306": "CA", "343": "CA", "354": "CA", "365": "CA", "367": "CA", "368": "CA",
	"382": "CA", "387": "CA", "403": "CA", "416": "CA", "418": "CA", "428": "CA", "431": "CA",
	"437": "CA", "438": "CA", "450": "CA", "460": "CA", "468": "CA", "474": "CA", "506": "CA",
	"514": "CA", "519": "CA", "548": "CA", "579": "CA", "581": "CA", "584": "CA", "587": "CA",
	"600": "CA", "604": "CA", "613": "CA", "622": "CA", "639": "CA", "647": "CA", "672": "CA",
	"683": "CA", "705": "CA", "709": "CA", "742": "CA", "753": "CA", "778": "CA", "780": "CA",
	"782": "CA", "807": "CA", "819": "CA", "825": "CA", "867": "CA", "873": "CA", "879": "CA",
	"902": "CA", "905": "CA", "942": "CA",
	// The Caribbean and the Atlantic.
	"242": "BS", "246": "BB", "264": "AI", "268": "AG", "284": "VG", "340": "VI", "345": "KY",
	"441": "BM", "473": "GD", "649": "TC", "658": "JM", "664": "MS", "721": "SX", "758": "LC",
	"767": "DM", "784": "VC", "787": "PR", "809": "DO", "829": "DO", "849": "DO", "868": "TT",
	"869": "KN", "876": "JM", "939": "PR",
	// The Pacific.
	"670": "MP", "671": "GU", "684": "AS",
}

// callingCode returns the calling code digits (after "+") start with, or
// "" when they start with none.
func callingCode(digits string) string {
	for l := 1; l <= 3 && l <= len(digits); l++ {
		if _, ok := callingCodes[digits[:l]]; ok {
			return digits[:l]
		}
	}
	return ""
}

// country returns the ISO code of the number whose digits (after "+")
// are given; see Number.Country.
func country(digits string) string {
	cc := callingCode(digits)
	if cc == "1" && len(digits) >= 4 {
		if c, ok := nanpAreas[digits[1:4]]; ok {
			return c
		}
		return "US"
	}
	for l := min(len(digits), maxRegionLen); l > len(cc); l-- {
		if c, ok := regions[digits[:l]]; ok {
			return c
		}
	}
	return callingCodes[cc]
}

// knownCountry reports whether code is the country of some calling code
// or region, that is whether an allowlist naming it can ever match.
func knownCountry(code string) bool {
	return countrySet[code]
}

// countrySet holds every country country() can return.
var countrySet = func() map[string]bool {
	set := map[string]bool{}
	for _, m := range []map[string]string{callingCodes, regions, nanpAreas} {
		for _, c := range m {
			if c != "" {
				set[c] = true
			}
		}
	}
	return set
}()
