package calendar

import "strings"

// The tables below are data transcribed from CLDR
// common/supplemental/windowsZones.xml: for each Windows zone, the IANA zone
// of territory "001", and the display name from the comment above it.

// windowsZone maps a Windows time zone ID ("W. Europe Standard Time") to
// the IANA zone CLDR names for it (territory 001). The lookup ignores case.
func windowsZone(id string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(id)) {
	case "dateline standard time":
		return "Etc/GMT+12", true
	case "utc-11":
		return "Etc/GMT+11", true
	case "aleutian standard time":
		return "America/Adak", true
	case "hawaiian standard time":
		return "Pacific/Honolulu", true
	case "marquesas standard time":
		return "Pacific/Marquesas", true
	case "alaskan standard time":
		return "America/Anchorage", true
	case "utc-09":
		return "Etc/GMT+9", true
	case "pacific standard time (mexico)":
		return "America/Tijuana", true
	case "utc-08":
		return "Etc/GMT+8", true
	case "pacific standard time":
		return "America/Los_Angeles", true
	case "us mountain standard time":
		return "America/Phoenix", true
	case "mountain standard time (mexico)":
		return "America/Mazatlan", true
	case "mountain standard time":
		return "America/Denver", true
	case "yukon standard time":
		return "America/Whitehorse", true
	case "central america standard time":
		return "America/Guatemala", true
	case "central standard time":
		return "America/Chicago", true
	case "easter island standard time":
		return "Pacific/Easter", true
	case "central standard time (mexico)":
		return "America/Mexico_City", true
	case "canada central standard time":
		return "America/Regina", true
	case "sa pacific standard time":
		return "America/Bogota", true
	case "eastern standard time (mexico)":
		return "America/Cancun", true
	case "eastern standard time":
		return "America/New_York", true
	case "haiti standard time":
		return "America/Port-au-Prince", true
	case "cuba standard time":
		return "America/Havana", true
	case "us eastern standard time":
		return "America/Indianapolis", true
	case "turks and caicos standard time":
		return "America/Grand_Turk", true
	case "paraguay standard time":
		return "America/Asuncion", true
	case "atlantic standard time":
		return "America/Halifax", true
	case "venezuela standard time":
		return "America/Caracas", true
	case "central brazilian standard time":
		return "America/Cuiaba", true
	case "sa western standard time":
		return "America/La_Paz", true
	case "pacific sa standard time":
		return "America/Santiago", true
	case "newfoundland standard time":
		return "America/St_Johns", true
	case "tocantins standard time":
		return "America/Araguaina", true
	case "e. south america standard time":
		return "America/Sao_Paulo", true
	case "sa eastern standard time":
		return "America/Cayenne", true
	case "argentina standard time":
		return "America/Buenos_Aires", true
	case "greenland standard time":
		return "America/Godthab", true
	case "montevideo standard time":
		return "America/Montevideo", true
	case "magallanes standard time":
		return "America/Punta_Arenas", true
	case "saint pierre standard time":
		return "America/Miquelon", true
	case "bahia standard time":
		return "America/Bahia", true
	case "utc-02":
		return "Etc/GMT+2", true
	case "azores standard time":
		return "Atlantic/Azores", true
	case "cape verde standard time":
		return "Atlantic/Cape_Verde", true
	case "utc":
		return "Etc/UTC", true
	case "gmt standard time":
		return "Europe/London", true
	case "greenwich standard time":
		return "Atlantic/Reykjavik", true
	case "sao tome standard time":
		return "Africa/Sao_Tome", true
	case "morocco standard time":
		return "Africa/Casablanca", true
	case "w. europe standard time":
		return "Europe/Berlin", true
	case "central europe standard time":
		return "Europe/Budapest", true
	case "romance standard time":
		return "Europe/Paris", true
	case "central european standard time":
		return "Europe/Warsaw", true
	case "w. central africa standard time":
		return "Africa/Lagos", true
	case "jordan standard time":
		return "Asia/Amman", true
	case "gtb standard time":
		return "Europe/Bucharest", true
	case "middle east standard time":
		return "Asia/Beirut", true
	case "egypt standard time":
		return "Africa/Cairo", true
	case "e. europe standard time":
		return "Europe/Chisinau", true
	case "syria standard time":
		return "Asia/Damascus", true
	case "west bank standard time":
		return "Asia/Hebron", true
	case "south africa standard time":
		return "Africa/Johannesburg", true
	case "fle standard time":
		return "Europe/Kiev", true
	case "israel standard time":
		return "Asia/Jerusalem", true
	case "south sudan standard time":
		return "Africa/Juba", true
	case "kaliningrad standard time":
		return "Europe/Kaliningrad", true
	case "sudan standard time":
		return "Africa/Khartoum", true
	case "libya standard time":
		return "Africa/Tripoli", true
	case "namibia standard time":
		return "Africa/Windhoek", true
	case "arabic standard time":
		return "Asia/Baghdad", true
	case "turkey standard time":
		return "Europe/Istanbul", true
	case "arab standard time":
		return "Asia/Riyadh", true
	case "belarus standard time":
		return "Europe/Minsk", true
	case "russian standard time":
		return "Europe/Moscow", true
	case "e. africa standard time":
		return "Africa/Nairobi", true
	case "iran standard time":
		return "Asia/Tehran", true
	case "arabian standard time":
		return "Asia/Dubai", true
	case "astrakhan standard time":
		return "Europe/Astrakhan", true
	case "azerbaijan standard time":
		return "Asia/Baku", true
	case "russia time zone 3":
		return "Europe/Samara", true
	case "mauritius standard time":
		return "Indian/Mauritius", true
	case "saratov standard time":
		return "Europe/Saratov", true
	case "georgian standard time":
		return "Asia/Tbilisi", true
	case "volgograd standard time":
		return "Europe/Volgograd", true
	case "caucasus standard time":
		return "Asia/Yerevan", true
	case "afghanistan standard time":
		return "Asia/Kabul", true
	case "west asia standard time":
		return "Asia/Tashkent", true
	case "ekaterinburg standard time":
		return "Asia/Yekaterinburg", true
	case "pakistan standard time":
		return "Asia/Karachi", true
	case "qyzylorda standard time":
		return "Asia/Qyzylorda", true
	case "india standard time":
		return "Asia/Calcutta", true
	case "sri lanka standard time":
		return "Asia/Colombo", true
	case "nepal standard time":
		return "Asia/Katmandu", true
	case "central asia standard time":
		return "Asia/Bishkek", true
	case "bangladesh standard time":
		return "Asia/Dhaka", true
	case "omsk standard time":
		return "Asia/Omsk", true
	case "myanmar standard time":
		return "Asia/Rangoon", true
	case "se asia standard time":
		return "Asia/Bangkok", true
	case "altai standard time":
		return "Asia/Barnaul", true
	case "w. mongolia standard time":
		return "Asia/Hovd", true
	case "north asia standard time":
		return "Asia/Krasnoyarsk", true
	case "n. central asia standard time":
		return "Asia/Novosibirsk", true
	case "tomsk standard time":
		return "Asia/Tomsk", true
	case "china standard time":
		return "Asia/Shanghai", true
	case "north asia east standard time":
		return "Asia/Irkutsk", true
	case "singapore standard time":
		return "Asia/Singapore", true
	case "w. australia standard time":
		return "Australia/Perth", true
	case "taipei standard time":
		return "Asia/Taipei", true
	case "ulaanbaatar standard time":
		return "Asia/Ulaanbaatar", true
	case "aus central w. standard time":
		return "Australia/Eucla", true
	case "transbaikal standard time":
		return "Asia/Chita", true
	case "tokyo standard time":
		return "Asia/Tokyo", true
	case "north korea standard time":
		return "Asia/Pyongyang", true
	case "korea standard time":
		return "Asia/Seoul", true
	case "yakutsk standard time":
		return "Asia/Yakutsk", true
	case "cen. australia standard time":
		return "Australia/Adelaide", true
	case "aus central standard time":
		return "Australia/Darwin", true
	case "e. australia standard time":
		return "Australia/Brisbane", true
	case "aus eastern standard time":
		return "Australia/Sydney", true
	case "west pacific standard time":
		return "Pacific/Port_Moresby", true
	case "tasmania standard time":
		return "Australia/Hobart", true
	case "vladivostok standard time":
		return "Asia/Vladivostok", true
	case "lord howe standard time":
		return "Australia/Lord_Howe", true
	case "bougainville standard time":
		return "Pacific/Bougainville", true
	case "russia time zone 10":
		return "Asia/Srednekolymsk", true
	case "magadan standard time":
		return "Asia/Magadan", true
	case "norfolk standard time":
		return "Pacific/Norfolk", true
	case "sakhalin standard time":
		return "Asia/Sakhalin", true
	case "central pacific standard time":
		return "Pacific/Guadalcanal", true
	case "russia time zone 11":
		return "Asia/Kamchatka", true
	case "new zealand standard time":
		return "Pacific/Auckland", true
	case "utc+12":
		return "Etc/GMT-12", true
	case "fiji standard time":
		return "Pacific/Fiji", true
	case "chatham islands standard time":
		return "Pacific/Chatham", true
	case "utc+13":
		return "Etc/GMT-13", true
	case "tonga standard time":
		return "Pacific/Tongatapu", true
	case "samoa standard time":
		return "Pacific/Apia", true
	case "line islands standard time":
		return "Pacific/Kiritimati", true
	}
	return "", false
}

// windowsDisplayZone maps the display name of a Windows time zone without
// its "(UTC+01:00) " prefix ("Sarajevo, Skopje, Warsaw, Zagreb", as Outlook
// for Mac writes in TZID) to an IANA zone. The lookup ignores case.
func windowsDisplayZone(name string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "international date line west":
		return "Etc/GMT+12", true
	case "coordinated universal time-11":
		return "Etc/GMT+11", true
	case "aleutian islands":
		return "America/Adak", true
	case "hawaii":
		return "Pacific/Honolulu", true
	case "marquesas islands":
		return "Pacific/Marquesas", true
	case "alaska":
		return "America/Anchorage", true
	case "coordinated universal time-09":
		return "Etc/GMT+9", true
	case "baja california":
		return "America/Tijuana", true
	case "coordinated universal time-08":
		return "Etc/GMT+8", true
	case "pacific time (us & canada)":
		return "America/Los_Angeles", true
	case "arizona":
		return "America/Phoenix", true
	case "chihuahua, la paz, mazatlan":
		return "America/Mazatlan", true
	case "mountain time (us & canada)":
		return "America/Denver", true
	case "yukon":
		return "America/Whitehorse", true
	case "central america":
		return "America/Guatemala", true
	case "central time (us & canada)":
		return "America/Chicago", true
	case "easter island":
		return "Pacific/Easter", true
	case "guadalajara, mexico city, monterrey":
		return "America/Mexico_City", true
	case "saskatchewan":
		return "America/Regina", true
	case "bogota, lima, quito, rio branco":
		return "America/Bogota", true
	case "chetumal":
		return "America/Cancun", true
	case "eastern time (us & canada)":
		return "America/New_York", true
	case "haiti":
		return "America/Port-au-Prince", true
	case "havana":
		return "America/Havana", true
	case "indiana (east)":
		return "America/Indianapolis", true
	case "turks and caicos":
		return "America/Grand_Turk", true
	case "asuncion":
		return "America/Asuncion", true
	case "atlantic time (canada)":
		return "America/Halifax", true
	case "caracas":
		return "America/Caracas", true
	case "cuiaba":
		return "America/Cuiaba", true
	case "georgetown, la paz, manaus, san juan":
		return "America/La_Paz", true
	case "santiago":
		return "America/Santiago", true
	case "newfoundland":
		return "America/St_Johns", true
	case "araguaina":
		return "America/Araguaina", true
	case "brasilia":
		return "America/Sao_Paulo", true
	case "cayenne, fortaleza":
		return "America/Cayenne", true
	case "city of buenos aires":
		return "America/Buenos_Aires", true
	case "greenland":
		return "America/Godthab", true
	case "montevideo":
		return "America/Montevideo", true
	case "punta arenas":
		return "America/Punta_Arenas", true
	case "saint pierre and miquelon":
		return "America/Miquelon", true
	case "salvador":
		return "America/Bahia", true
	case "coordinated universal time-02":
		return "Etc/GMT+2", true
	case "azores":
		return "Atlantic/Azores", true
	case "cabo verde is.":
		return "Atlantic/Cape_Verde", true
	case "coordinated universal time":
		return "Etc/UTC", true
	case "dublin, edinburgh, lisbon, london":
		return "Europe/London", true
	case "monrovia, reykjavik":
		return "Atlantic/Reykjavik", true
	case "sao tome":
		return "Africa/Sao_Tome", true
	case "casablanca":
		return "Africa/Casablanca", true
	case "amsterdam, berlin, bern, rome, stockholm, vienna":
		return "Europe/Berlin", true
	case "belgrade, bratislava, budapest, ljubljana, prague":
		return "Europe/Budapest", true
	case "brussels, copenhagen, madrid, paris":
		return "Europe/Paris", true
	case "sarajevo, skopje, warsaw, zagreb":
		return "Europe/Warsaw", true
	case "west central africa":
		return "Africa/Lagos", true
	case "amman":
		return "Asia/Amman", true
	case "athens, bucharest":
		return "Europe/Bucharest", true
	case "beirut":
		return "Asia/Beirut", true
	case "cairo":
		return "Africa/Cairo", true
	case "chisinau":
		return "Europe/Chisinau", true
	case "damascus":
		return "Asia/Damascus", true
	case "gaza, hebron":
		return "Asia/Hebron", true
	case "harare, pretoria":
		return "Africa/Johannesburg", true
	case "helsinki, kyiv, riga, sofia, tallinn, vilnius":
		return "Europe/Kiev", true
	case "jerusalem":
		return "Asia/Jerusalem", true
	case "juba":
		return "Africa/Juba", true
	case "kaliningrad":
		return "Europe/Kaliningrad", true
	case "khartoum":
		return "Africa/Khartoum", true
	case "tripoli":
		return "Africa/Tripoli", true
	case "windhoek":
		return "Africa/Windhoek", true
	case "baghdad":
		return "Asia/Baghdad", true
	case "istanbul":
		return "Europe/Istanbul", true
	case "kuwait, riyadh":
		return "Asia/Riyadh", true
	case "minsk":
		return "Europe/Minsk", true
	case "moscow, st. petersburg":
		return "Europe/Moscow", true
	case "nairobi":
		return "Africa/Nairobi", true
	case "tehran":
		return "Asia/Tehran", true
	case "abu dhabi, muscat":
		return "Asia/Dubai", true
	case "astrakhan, ulyanovsk":
		return "Europe/Astrakhan", true
	case "baku":
		return "Asia/Baku", true
	case "izhevsk, samara":
		return "Europe/Samara", true
	case "port louis":
		return "Indian/Mauritius", true
	case "saratov":
		return "Europe/Saratov", true
	case "tbilisi":
		return "Asia/Tbilisi", true
	case "volgograd":
		return "Europe/Volgograd", true
	case "yerevan":
		return "Asia/Yerevan", true
	case "kabul":
		return "Asia/Kabul", true
	case "ashgabat, tashkent":
		return "Asia/Tashkent", true
	case "ekaterinburg":
		return "Asia/Yekaterinburg", true
	case "islamabad, karachi":
		return "Asia/Karachi", true
	case "qyzylorda":
		return "Asia/Qyzylorda", true
	case "chennai, kolkata, mumbai, new delhi":
		return "Asia/Calcutta", true
	case "sri jayawardenepura":
		return "Asia/Colombo", true
	case "kathmandu":
		return "Asia/Katmandu", true
	case "astana":
		return "Asia/Bishkek", true
	case "dhaka":
		return "Asia/Dhaka", true
	case "omsk":
		return "Asia/Omsk", true
	case "yangon (rangoon)":
		return "Asia/Rangoon", true
	case "bangkok, hanoi, jakarta":
		return "Asia/Bangkok", true
	case "barnaul, gorno-altaysk":
		return "Asia/Barnaul", true
	case "hovd":
		return "Asia/Hovd", true
	case "krasnoyarsk":
		return "Asia/Krasnoyarsk", true
	case "novosibirsk":
		return "Asia/Novosibirsk", true
	case "tomsk":
		return "Asia/Tomsk", true
	case "beijing, chongqing, hong kong, urumqi":
		return "Asia/Shanghai", true
	case "irkutsk":
		return "Asia/Irkutsk", true
	case "kuala lumpur, singapore":
		return "Asia/Singapore", true
	case "perth":
		return "Australia/Perth", true
	case "taipei":
		return "Asia/Taipei", true
	case "ulaanbaatar":
		return "Asia/Ulaanbaatar", true
	case "eucla":
		return "Australia/Eucla", true
	case "chita":
		return "Asia/Chita", true
	case "osaka, sapporo, tokyo":
		return "Asia/Tokyo", true
	case "pyongyang":
		return "Asia/Pyongyang", true
	case "seoul":
		return "Asia/Seoul", true
	case "yakutsk":
		return "Asia/Yakutsk", true
	case "adelaide":
		return "Australia/Adelaide", true
	case "darwin":
		return "Australia/Darwin", true
	case "brisbane":
		return "Australia/Brisbane", true
	case "canberra, melbourne, sydney":
		return "Australia/Sydney", true
	case "guam, port moresby":
		return "Pacific/Port_Moresby", true
	case "hobart":
		return "Australia/Hobart", true
	case "vladivostok":
		return "Asia/Vladivostok", true
	case "lord howe island":
		return "Australia/Lord_Howe", true
	case "bougainville island":
		return "Pacific/Bougainville", true
	case "chokurdakh":
		return "Asia/Srednekolymsk", true
	case "magadan":
		return "Asia/Magadan", true
	case "norfolk island":
		return "Pacific/Norfolk", true
	case "sakhalin":
		return "Asia/Sakhalin", true
	case "solomon is., new caledonia":
		return "Pacific/Guadalcanal", true
	case "anadyr, petropavlovsk-kamchatsky":
		return "Asia/Kamchatka", true
	case "auckland, wellington":
		return "Pacific/Auckland", true
	case "coordinated universal time+12":
		return "Etc/GMT-12", true
	case "fiji":
		return "Pacific/Fiji", true
	case "chatham islands":
		return "Pacific/Chatham", true
	case "coordinated universal time+13":
		return "Etc/GMT-13", true
	case "nuku'alofa":
		return "Pacific/Tongatapu", true
	case "samoa":
		return "Pacific/Apia", true
	case "kiritimati island":
		return "Pacific/Kiritimati", true
	}
	return "", false
}
