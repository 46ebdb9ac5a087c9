"""Categories of public order, digital services and everything else."""

from reports.demo.catalog import YES_NO, CategorySpec, Q, QuestionSpec, choices

SAFETY = (
    CategorySpec(
        "graffiti",
        "safety",
        "Graffiti e scritte",
        "Graffiti",
        "Scritte e graffiti su edifici pubblici, monumenti, pensiline e cartelli.",
        "Graffiti and tags on public buildings, monuments, shelters and signs.",
        "graffiti, scritte, vandalismo, imbrattamento, tag, vandalism",
        "igiene-urbana",
        base_severity=1,
        sla_working_days=20,
        duplicate_radius_m=25,
        questions=(
            QuestionSpec(
                "surface",
                "Su che cosa?",
                "On what?",
                Q.CHOICE,
                required=True,
                choices=choices(
                    ("public_building", "Edificio pubblico", "Public building"),
                    ("private_wall", "Muro privato", "Private wall"),
                    ("monument", "Monumento", "Monument"),
                    ("shelter", "Pensilina", "Bus or tram shelter"),
                    ("sign", "Cartello", "Sign"),
                ),
            ),
            QuestionSpec(
                "area_m2",
                "Superficie (m²)",
                "Area (m²)",
                Q.NUMBER,
                number_range=(1, 12),
            ),
            QuestionSpec(
                "offensive",
                "Contiene parole offensive?",
                "Is it offensive?",
                Q.CHOICE,
                choices=YES_NO,
            ),
        ),
        weight=20,
        scene="graffiti",
        texts_it=(
            "Scritte spray sulla facciata della scuola in {street}.",
            "Graffiti nuovi sulla pensilina del tram, coprono gli orari.",
            "Tag su tutto il muro appena ridipinto.",
        ),
        texts_en=("Fresh tags all over the tram shelter on {street}.",),
    ),
    CategorySpec(
        "abandoned-vehicle",
        "safety",
        "Veicolo abbandonato",
        "Abandoned vehicle",
        "Auto, moto, biciclette o camper lasciati a lungo in strada, spesso senza targa.",
        "Cars, scooters, bicycles or campers left in the street for a long time.",
        "auto abbandonata, rottame, targa, bicicletta, abandoned car, wreck",
        "polizia-locale",
        base_severity=2,
        sla_working_days=10,
        duplicate_radius_m=25,
        questions=(
            QuestionSpec(
                "vehicle",
                "Che veicolo è?",
                "Which vehicle?",
                Q.CHOICE,
                required=True,
                choices=choices(
                    ("car", "Automobile", "Car"),
                    ("scooter", "Moto o scooter", "Motorbike or scooter"),
                    ("bicycle", "Bicicletta", "Bicycle"),
                    ("camper", "Camper o roulotte", "Camper or caravan"),
                ),
            ),
            QuestionSpec(
                "plate",
                "Targa (se presente)",
                "Number plate (if any)",
                Q.TEXT,
                samples=("AB123CD", "senza targa", "ZXK-482", "FI 7731"),
            ),
            QuestionSpec("since", "Da quando è lì?", "Since when?", Q.DATE),
        ),
        weight=12,
        scene="car",
        texts_it=(
            "Auto senza targa parcheggiata in {street} da più di un mese, gomme a terra.",
            "Scooter smontato abbandonato sul marciapiede.",
            "Bicicletta senza ruote legata al palo da mesi.",
        ),
        texts_en=("A car with flat tyres and no plates has been on {street} for weeks.",),
    ),
    CategorySpec(
        "noise",
        "safety",
        "Disturbo della quiete",
        "Noise nuisance",
        "Rumori molesti ricorrenti da locali, cantieri fuori orario, allarmi.",
        "Recurring noise from bars, building sites out of hours, alarms.",
        "rumore, schiamazzi, musica, cantiere, allarme, noise, music",
        "polizia-locale",
        base_severity=2,
        sla_working_days=5,
        duplicate_radius_m=50,
        questions=(
            QuestionSpec(
                "when",
                "Quando succede?",
                "When does it happen?",
                Q.CHOICE,
                required=True,
                choices=choices(
                    ("night", "Di notte", "At night"),
                    ("day", "Di giorno", "During the day"),
                    ("always", "Sempre", "All the time"),
                ),
            ),
        ),
        weight=8,
        scene="street",
        texts_it=(
            "Musica ad alto volume dal locale in {street} fino alle 3 di notte.",
            "Cantiere che inizia a lavorare alle 6 del mattino anche la domenica.",
        ),
        texts_en=("A shop alarm on {street} has been ringing all night.",),
    ),
    CategorySpec(
        "gas-leak",
        "safety",
        "Odore di gas",
        "Gas smell or leak",
        "Odore di gas in strada o vicino a un contatore: è un'emergenza del gestore.",
        "Smell of gas in the street or near a meter: an emergency for the gas utility.",
        "gas, fuga, odore, perdita, gas leak, smell",
        None,
        base_severity=5,
        sla_working_days=1,
        duplicate_radius_m=50,
        redirect_body="acque-gas",
        redirect_it=(
            "Per un odore di gas chiama subito il pronto intervento gas di Acque e Gas "
            "Metropolitani al +39 800 000 111 (gratuito, 24 ore su 24). Se l'odore è forte, "
            "allontanati, non accendere luci né fiamme e chiama il 112."
        ),
        redirect_en=(
            "If you smell gas, call the Acque e Gas Metropolitani emergency line now on "
            "+39 800 000 111 (free, 24 hours). If the smell is strong, move away, do not "
            "switch on lights or flames, and call 112."
        ),
    ),
)

DIGITAL = (
    CategorySpec(
        "online-service",
        "digital",
        "Servizio online non funzionante",
        "Online service not working",
        "Sito del Comune, pagamenti online, prenotazioni o app che non funzionano.",
        "The municipality's website, online payments, bookings or app not working.",
        "sito, app, pagamento, prenotazione, errore, website, online, payment",
        "sistemi-informativi",
        base_severity=2,
        sla_working_days=3,
        # The place of the citizen says nothing about a web outage: one issue per outage
        # in the whole (demo) city.
        duplicate_radius_m=5000,
        questions=(
            QuestionSpec(
                "service",
                "Quale servizio?",
                "Which service?",
                Q.CHOICE,
                required=True,
                choices=choices(
                    ("website", "Sito del Comune", "Municipal website"),
                    ("payments", "Pagamenti online", "Online payments"),
                    ("booking", "Prenotazione appuntamenti", "Appointment booking"),
                    ("app", "App del Comune", "Municipal app"),
                ),
            ),
            QuestionSpec(
                "error",
                "Messaggio di errore",
                "Error message",
                Q.TEXT,
                samples=("Errore 500", "Pagina non trovata", "Timeout", "SPID login failed"),
            ),
            QuestionSpec("since", "Da quando?", "Since when?", Q.DATE),
        ),
        weight=6,
        scene="",
        texts_it=(
            "Non riesco a pagare la mensa scolastica online, errore al momento del pagamento.",
            "La prenotazione degli appuntamenti all'anagrafe non mostra date disponibili.",
        ),
        texts_en=("The appointment booking page gives an error after login.",),
    ),
    CategorySpec(
        "public-wifi",
        "digital",
        "Wi-Fi pubblico",
        "Public Wi-Fi",
        "Hotspot Wi-Fi comunali che non si collegano o sono lentissimi.",
        "Municipal Wi-Fi hotspots that do not connect or are very slow.",
        "wifi, wi-fi, hotspot, internet, connessione",
        "sistemi-informativi",
        base_severity=1,
        sla_working_days=5,
        duplicate_radius_m=100,
        weight=5,
        scene="",
        texts_it=("Il Wi-Fi pubblico della piazza non si collega da giorni.",),
        texts_en=("The free Wi-Fi near {street} does not connect.",),
    ),
)

OTHER = (
    CategorySpec(
        "other",
        "other",
        "Altra segnalazione",
        "Something else",
        "Tutto ciò che non rientra nelle altre categorie: lo smistiamo noi.",
        "Anything that fits no other category: we will route it.",
        "altro, varie, other",
        "strade",
        base_severity=2,
        sla_working_days=15,
        duplicate_radius_m=30,
        weight=8,
        scene="street",
        texts_it=(
            "Fontanella pubblica che perde acqua continuamente in {street}.",
            "Transenne di un cantiere finito lasciate sul marciapiede.",
        ),
        texts_en=("Leftover roadworks barriers have been blocking the pavement for weeks.",),
    ),
    CategorySpec(
        "water-leak",
        "other",
        "Perdita d'acqua dalla rete",
        "Water main leak",
        "Acqua che esce dall'asfalto o da un pozzetto: la rete idrica è del gestore.",
        "Water coming out of the road or a valve box: the water network is the utility's.",
        "acqua, perdita, tubo, allagamento, water leak, burst pipe",
        None,
        base_severity=4,
        sla_working_days=2,
        duplicate_radius_m=40,
        redirect_body="acque-gas",
        redirect_it=(
            "Le perdite della rete idrica sono di competenza di Acque e Gas Metropolitani: "
            "chiama il pronto intervento al +39 800 000 111 o scrivi a guasti@acquegas.example."
        ),
        redirect_en=(
            "Leaks from the water network are handled by Acque e Gas Metropolitani: call "
            "their emergency line on +39 800 000 111 or write to guasti@acquegas.example."
        ),
    ),
)
