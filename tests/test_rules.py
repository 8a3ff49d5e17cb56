"""Rule values (issue 23): deadlines, metric thresholds and penalty-point levels, per language, in the demo KB,
through ``policykb rules`` and the page ``/-/policykb/rules``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kb.cli import cli
from pipeline.rules import extract, sentences, value_changes


def _read(markdown: str, language: str) -> list[tuple]:
    """What ``extract`` reads, as (value, unit, subject) in reading order."""
    return [(v.value, v.unit, v.subject) for v in extract(markdown, language)]

#: (language, a real-looking sentence, what it states: (kind, value, unit, subject) in reading order)
SENTENCES = [
    ("en", "You can appeal a violation within seven days of the date it was issued.",
     [("time_limit", 7, "day", "appeal")]),
    ("en", "Sellers must respond to buyer messages within 24 hours, including weekends.",
     [("time_limit", 24, "hour", "response")]),
    ("en", "Keep your order defect rate below 1% to maintain selling privileges.",
     [("metric_threshold", 1, "percent", "order_defect_rate")]),
    ("en", "If your shop reaches 48 penalty points, your shop will be permanently deactivated.",
     [("point_threshold", 48, "points", "penalty_points")]),
    ("en", "The suspension lasts 7 days and the violation stays on record for 180 days.", []),
    ("en", "A referral fee of 15% applies to most categories.", []),
    ("zh", "商家应当在收到处罚通知之日起七个自然日内提交申诉。", [("time_limit", 7, "calendar_day", "appeal")]),
    ("zh", "平台收到有效投诉后，将在24小时内下架涉嫌侵权的商品。", [("time_limit", 24, "hour", "takedown")]),
    ("zh", "店铺迟发货率不得超过4%，否则平台将限制店铺参加营销活动。",
     [("metric_threshold", 4, "percent", "late_shipment_rate")]),
    ("zh", "一般违规扣分累计达到十二分的，店铺商品在搜索结果中屏蔽7天。",
     [("point_threshold", 12, "points", "penalty_points")]),
    ("zh", "卖家须于买家付款后两个工作日内发货。", [("time_limit", 2, "business_day", "dispatch")]),
    ("zh-Hant", "賣家應在收到通知後十五日內提出申訴。", [("time_limit", 15, "day", "appeal")]),
    ("zh-Hant", "商品應於3個工作日內出貨，延遲出貨率須低於5%。",
     [("time_limit", 3, "business_day", ""), ("metric_threshold", 5, "percent", "late_shipment_rate")]),
    ("ja", "出荷遅延率は4%未満を維持してください。", [("metric_threshold", 4, "percent", "late_shipment_rate")]),
    ("ja", "購入者からのメッセージには24時間以内に返信してください。", [("time_limit", 24, "hour", "response")]),
    ("ja", "異議申し立ては通知から7営業日以内に行ってください。", [("time_limit", 7, "business_day", "appeal")]),
    ("de", "Sie können innerhalb von vierzehn Tagen nach Erhalt der Mitteilung Widerspruch einlegen.",
     [("time_limit", 14, "day", "appeal")]),
    ("de", "Die Rückerstattung erfolgt binnen 5 Werktagen nach Eingang der Rücksendung.",
     [("time_limit", 5, "business_day", "refund")]),
    ("fr", "Le vendeur doit expédier la commande dans un délai de deux jours ouvrés.",
     [("time_limit", 2, "business_day", "dispatch")]),
    ("fr", "Vous pouvez contester la décision dans un délai de quinze jours à compter de la notification.",
     [("time_limit", 15, "day", "appeal")]),
    ("es", "El vendedor debe responder a la reclamación dentro de 3 días hábiles.",
     [("time_limit", 3, "business_day", "response")]),
    ("es", "Debe mantener una tasa de cancelación inferior al 2,5% durante 30 días.",
     [("metric_threshold", 2.5, "percent", "cancellation_rate")]),
    ("it", "Il venditore deve rispondere entro 48 ore dalla ricezione del messaggio.",
     [("time_limit", 48, "hour", "response")]),
    ("it", "Il rimborso deve essere effettuato entro quattordici giorni lavorativi.",
     [("time_limit", 14, "business_day", "refund")]),
    ("id", "Penjual wajib mengirimkan pesanan dalam waktu 2 hari kerja setelah pembayaran.",
     [("time_limit", 2, "business_day", "dispatch")]),
    ("id", "Banding dapat diajukan paling lambat 7 hari sejak pemberitahuan diterima.",
     [("time_limit", 7, "day", "appeal")]),
    ("ms", "Penjual mesti membalas mesej pembeli dalam tempoh 12 jam.", [("time_limit", 12, "hour", "response")]),
    ("ms", "Kadar penghantaran lewat mesti di bawah 5% dalam tempoh 7 hari.",
     [("metric_threshold", 5, "percent", "late_shipment_rate")]),
    ("th", "ผู้ขายต้องจัดส่งสินค้าภายใน 3 วันทำการ", [("time_limit", 3, "business_day", "dispatch")]),
    ("th", "ผู้ขายสามารถยื่นอุทธรณ์ได้ภายใน 7 วัน นับจากวันที่ได้รับแจ้ง", [("time_limit", 7, "day", "appeal")]),
    ("vi", "Người bán phải phản hồi khiếu nại trong vòng 48 giờ.", [("time_limit", 48, "hour", "response")]),
    ("vi", "Tỷ lệ giao hàng trễ phải dưới 5% để tránh bị phạt.",
     [("metric_threshold", 5, "percent", "late_shipment_rate")]),
    # extractor 9: a bound written as a comparison ("non sarà superiore a", "dans un délai inférieur à", "ne pourra
    # excéder"), a mediation is a dispute's step, goods "mis à disposition" are dispatched, "during" in a withdrawal
    ("it", "Il termine per l'invio dei documenti non sarà, in ogni caso, superiore a 5 giorni lavorativi.",
     [("time_limit", 5, "business_day", "documents")]),
    ("fr", "Le Vendeur s'engage à assurer la livraison à ses Acheteurs dans un délai inférieur à 20 jours calendaires.",
     [("time_limit", 20, "calendar_day", "delivery")]),
    ("fr", "En cas de différend, la durée de la médiation ne pourra excéder trois (3) mois, sauf accord contraire.",
     [("time_limit", 3, "month", "dispute")]),
    ("fr", "Le Commerçant doit mettre les produits commandés à la disposition du client dans les trente (30) minutes "
           "suivant l'acceptation de la commande.", [("time_limit", 30, "minute", "dispatch")]),
    ("nl", "De Koper kan een dienstenovereenkomst gedurende 30 dagen zonder opgave van redenen ontbinden.",
     [("time_limit", 30, "day", "cancellation")]),
    ("nl", "Het Verkoopaccount wordt gedurende 30 dagen geblokkeerd.", []),
    ("fr", "Il expédie sous 48 heures (ou sous le délai inférieur à 48 heures qu'il aura indiqué dans son offre).",
     [("time_limit", 48, "hour", "dispatch")]),
    # a hyphen joins a number to its unit ("14-day", "3-business-day"); a window or limitation period after it is a
    # limit; a count within a window ("within a 90-day period, 15 or more claimants") is none
    ("en", "Buyers can send items back within the 14-day return window.", [("time_limit", 14, "day", "return")]),
    ("en", "Sellers must ship orders within a 3-business-day handling time.",
     [("time_limit", 3, "business_day", "dispatch")]),
    ("en", "Buyers in the EU may be entitled to a 14-day “right of withdrawal” after receiving an item.",
     [("time_limit", 14, "day", "cancellation")]),
    ("en", "If within a 90-day period, 15 or more claimants file similar claims, the claims are batched.", []),
    ("en", "A 7-day suspension applies to repeated violations.", []),
    # Italian "cancellare i Dati" deletes data: no cancellation
    ("it", "Il Responsabile dovrà, nel termine di 15 (quindici) giorni lavorativi, distruggere o cancellare i Dati "
           "Personali.", [("time_limit", 15, "business_day", "")]),
    ("it", "L'Acquirente può cancellare l'ordine entro 2 giorni dall'acquisto.",
     [("time_limit", 2, "day", "cancellation")]),
    # text2num writes "in acht" (Dutch "observe") as "in 8" and "terceros" as "3ᵒˢ": neither stands before a unit
    ("nl", "Bol.com neemt een opzegtermijn van 30 dagen in acht, behalve bij fraude.",
     [("time_limit", 30, "day", "notice")]),
    ("es", "El Vendedor no cederá los datos a terceros y responderá en un plazo de 5 días.",
     [("time_limit", 5, "day", "response")]),
]


#: sentences whose number is about a cue that is not the first in the clause (the nearest cue governs it)
SENTENCES += [
    ("en", "Keep your late shipment rate under 4% and your order defect rate below 1%.",
     [("metric_threshold", 4, "percent", "late_shipment_rate"), ("metric_threshold", 1, "percent", "order_defect_rate")]),
    ("en", "If your refund request is rejected, you can file an appeal within 14 days.",
     [("time_limit", 14, "day", "appeal")]),
    ("en", "After a listing is removed, you must submit an appeal within 7 days.", [("time_limit", 7, "day", "appeal")]),
    ("en", "After a listing is removed, sellers have 3 days to appeal the decision.", [("time_limit", 3, "day", "appeal")]),
    ("zh", "迟发率低于4%且订单缺陷率低于1%",
     [("metric_threshold", 4, "percent", "late_shipment_rate"), ("metric_threshold", 1, "percent", "order_defect_rate")]),
    ("fr", "Le taux d'annulation doit rester inférieur à 2 % et le taux de défaut inférieur à 1 %.",
     [("metric_threshold", 2, "percent", "cancellation_rate"), ("metric_threshold", 1, "percent", "order_defect_rate")]),
]


#: what a deadline limits read from the clause's syntax (issue 23: the value counts with the concept it belongs to)
SENTENCES += [
    # the moment a deadline counts from names no subject
    ("en", "Such reduction shall terminate in any event within 1 year from the date of the Notice.",
     [("time_limit", 1, "year", "")]),
    ("fr", "Le colis sera à disposition pendant 8 jours ouvrables suivant sa livraison.",
     [("time_limit", 8, "business_day", "")]),
    # a period before an event is a notice period
    ("en", "We will post the amended terms at least 30 days before the effective date.",
     [("time_limit", 30, "day", "notice")]),
    # a conditional is its own clause
    ("en", "We may terminate your account upon giving notice, if you have failed to remedy a breach within 30 days.",
     [("time_limit", 30, "day", "")]),
    # German: the verb after the time phrase governs it, past the noun phrase it counts from
    ("de", "Bei einer Beschwerde muss der Teilnehmer Anfragen binnen 14 Tagen per E-Mail beantworten.",
     [("time_limit", 14, "day", "response")]),
    ("de", "Avocadostore wird innerhalb von zwei Wochen nach Eingang der Beschwerde den Sachverhalt prüfen.",
     [("time_limit", 2, "week", "review")]),
    # a period's own name
    ("de", "Für Abonnements mit Versand beträgt die Kündigungsfrist 1 Monat zum Ende der Laufzeit.",
     [("time_limit", 1, "month", "notice")]),
    ("nl", "De Koper kan het abonnement over de levering van producten opzeggen met een opzegtermijn van ten hoogste "
           "één maand.", [("time_limit", 1, "month", "notice")]),
    ("pt", "As informações sobre a rescisão serão enviadas ao Utilizador com uma antecedência mínima de 30 dias.",
     [("time_limit", 30, "day", "notice")]),
    # a cost named after a step is not that step
    ("it", "Il Venditore procederà al rimborso del prezzo, compresi i costi di consegna, entro 14 giorni.",
     [("time_limit", 14, "day", "refund")]),
    # a PDF's lost space after a two-word unit; a rate named in other words
    ("it", "L'utente deve restituire i Prodotti entro il termine di 14 giorni di calendariodalla data del recesso.",
     [("time_limit", 14, "calendar_day", "return")]),
    ("it", "Il numero di reclami deve restare inferiore al 15% degli ordini ricevuti.",
     [("metric_threshold", 15, "percent", "")]),
    # "for a period of" is a duration, however the start is named
    ("it", "PB Online consentirà l'accesso limitato per un periodo di 90 giorni dalla data di ricezione.", []),
]


#: a PDF's lost spaces: words run together are split apart by word frequencies before cues are read
SENTENCES += [
    ("it", "L'utente è tenuto a ritirare il pacco nel terminedi 3 giorni di calendario decorrenti dal secondo giorno.",
     [("time_limit", 3, "calendar_day", "")]),
    ("it", "Il Venditore effettuerà il rimborso entro il termine di 14 giornilavorativi dal giorno della risoluzione.",
     [("time_limit", 14, "business_day", "refund")]),
    # a second threshold of one comparison, joined by "and"
    ("it", "i) numero di reclami da parte degli Acquirenti superiore al10% degli ordini ricevuti in un mese e al 3% "
           "degli ordini ricevuti in un anno",
     [("metric_threshold", 10, "percent", ""), ("metric_threshold", 3, "percent", "")]),
    ("en", "Your late shipment rate must stay under 4% over 10 days and 3% over 30 days.",
     [("metric_threshold", 4, "percent", "late_shipment_rate"), ("metric_threshold", 3, "percent", "late_shipment_rate")]),
    # the moment something takes effect ("once seven days have passed") is no deadline
    ("it", "Tutte le modifiche saranno effettive trascorsi sette giorni dalla loro comunicazione al Venditore.", []),
    # how early something may be done is no notice period; "Paid Services" names no payment
    ("en", "Listings can be scheduled up to 365 days in advance.", []),
    ("en", "You can upgrade to Paid Services within 30 days of registration.", [("time_limit", 30, "day", "")]),
    ("en", "Any fees for Paid Services are payable within 30 days of the invoice date.",
     [("time_limit", 30, "day", "payment")]),
]


#: Spanish and Portuguese deadlines as written (tuned on documents outside the reference: Vinted, CustoJusto)
SENTENCES += [
    # "a partir de" starts the moment a deadline counts from, like "a contar de"
    ("es", "Tiene que hacerlo en el plazo de 14 días a partir de la entrega del Artículo.", [("time_limit", 14, "day", "")]),
    ("pt", "Deve fazê-lo no prazo de 14 dias a partir da entrega do artigo.", [("time_limit", 14, "day", "")]),
    # every form of "devolver" is a return
    ("es", "Si el Vendedor Pro no confirma la recepción del Artículo devuelto en el plazo de 14 días naturales, VINTED "
           "investigará el asunto.", [("time_limit", 14, "calendar_day", "return")]),
    # more ways to write a limit: "en el término de", "como máximo en", "pré-aviso de", "antecedência de, no mínimo,"
    ("es", "Usted puede cancelar su pedido si hace clic en el botón en el término de 2 días de la notificación.",
     [("time_limit", 2, "day", "cancellation")]),
    ("es", "El Vendedor Pro debe entregar el Artículo como máximo en 30 días.", [("time_limit", 30, "day", "delivery")]),
    ("pt", "A CustoJusto notificará os anunciantes de qualquer alteração com um prazo de pré-aviso mínimo de 15 dias.",
     [("time_limit", 15, "day", "notice")]),
    ("pt", "O serviço renova-se, a menos que o Cliente se oponha à renovação com uma antecedência de, no mínimo, 30 dias.",
     [("time_limit", 30, "day", "notice")]),
    ("pt", "O Utilizador pode continuar a utilizar o serviço dentro do prazo dos 30 dias após a recepção do email.",
     [("time_limit", 30, "day", "")]),
    # "delivery" names what a deadline counts from or what a cost is for as often as what it limits: it counts only
    # when no other subject stands in the clause
    ("it", "Se l'utente recede, il Venditore procederà al rimborso dell'Importo pagato, compresi i costi di consegna, "
           "inclusi quelli derivanti dalla scelta di un tipo di consegna diverso dalla consegna standard, senza indebito "
           "ritardo e in ogni caso non oltre 14 giorni di calendario.", [("time_limit", 14, "calendar_day", "refund")]),
    ("en", "The seller must deliver the item within 5 days.", [("time_limit", 5, "day", "delivery")]),
    ("es", "En cualquier caso, asegúrese de enviar el artículo en el plazo de 5 días de semana después de recibir la "
           "información del envío.", [("time_limit", 5, "business_day", "dispatch")]),
    # "durante" (for) a period is a duration
    ("es", "El comprador no tendrá que aportar pruebas durante los 24 meses siguientes a la entrega de los productos.", []),
]

#: "N days before X" is a notice only with nothing else named and never after a look-back; the SEPA pre-notification
#: is a notice, not a document
SENTENCES += [
    ("en", "Orders placed up to 2 days before the holiday ship the same day.", [("time_limit", 2, "day", "")]),
    # a period counted back from now is no deadline, and no notice however "before" follows it
    ("de", "Einwände gelten nur für Rechnungen aus den letzten 15 Monaten vor der Prüfung.", []),
    ("es", "Solo se revisan las facturas de los últimos 6 meses antes de la auditoría.", []),
    ("vi", "Tỷ lệ được tính trên các đơn hàng trong vòng 30 ngày qua trước kỳ đánh giá.", []),
    ("de", "Die Höhe des Endbetrags und Fälligkeit werden dem Teilnehmer mindestens fünf Tage vor Fälligkeit "
           "angekündigt; die Frist für die SEPA-Vorabinformation wird dementsprechend auf fünf Tage verkürzt.",
     [("time_limit", 5, "day", "notice"), ("time_limit", 5, "day", "notice")]),
]


#: what a deadline limits, by causes common to the languages (each failed before the cue file and extractor 6)
SENTENCES += [
    # a period named after its unit: "dos meses de antelación" is a notice whatever else the clause names
    ("es", "Cualquiera de las partes puede cancelar el contrato comunicándolo con dos meses de antelación.",
     [("time_limit", 2, "month", "notice")]),
    # a period before a step takes effect, or counted from the notice of it, is a notice
    ("en", "Changes to the return policy will be announced 30 days before they take effect.",
     [("time_limit", 30, "day", "notice")]),
    ("pt", "As alterações às regras de devolução entram em vigor no prazo indicado, que não será inferior a 15 dias a "
           "contar da notificação.", [("time_limit", 15, "day", "notice")]),
    # a participle describing a noun ("produits retournés") names a thing, not the step: the refund is limited
    ("fr", "Le remboursement des produits retournés sera effectué dans les 14 jours suivant leur réception.",
     [("time_limit", 14, "day", "refund")]),
    # "have N days to <verb> <object>": the first cue after the number, weak or not
    ("en", "Sellers have 5 days to provide the documents required for the review.",
     [("time_limit", 5, "day", "documents")]),
    ("pt", "O vendedor possui 10 dias para disponibilizar a informação necessária à verificação da conta.",
     [("time_limit", 10, "day", "documents")]),
    # a complaint against a decision, or counted from one, is an appeal; German: the object of the clause's last verb
    ("de", "Nutzer können innerhalb von sechs Monaten nach Mitteilung der Entscheidung über das interne System eine "
           "Beschwerde einreichen.", [("time_limit", 6, "month", "appeal")]),
    ("en", "Complaints against our decisions can be filed within 6 months.", [("time_limit", 6, "month", "appeal")]),
    # a fallback deadline of the same step; "however" ends a clause
    ("en", "Sellers must reply within 48 hours, but in any case, not later than within 5 calendar days.",
     [("time_limit", 48, "hour", "response"), ("time_limit", 5, "calendar_day", "response")]),
    ("en", "Response times depend on the complaint, however, technical issues are usually solved within 1 business day.",
     [("time_limit", 1, "business_day", "")]),
    # money given back is a refund ("devolução de fundos", returned to an account)
    ("pt", "A devolução de fundos do saldo será realizada no prazo de 14 dias.", [("time_limit", 14, "day", "refund")]),
    ("pt", "A comissão cobrada será devolvida na conta do Utilizador no prazo de 90 dias.",
     [("time_limit", 90, "day", "refund")]),
    ("pt", "Os pagamentos serão reembolsados sem demora e, em qualquer caso, o mais tardar 14 dias após a decisão.",
     [("time_limit", 14, "day", "refund")]),
    # "retirar" is a takedown only with content as its object (a request withdrawn is none)
    ("es", "El contrato se resuelve si la solicitud no se retira dentro de un plazo de cinco días.",
     [("time_limit", 5, "day", "")]),
    ("es", "El vendedor debe retirar el anuncio en un plazo de 24 horas.", [("time_limit", 24, "hour", "takedown")]),
    # words the cue file lacked: "verzenden", "reclamação", "direito de arrependimento", "respuesta", "sont repris"
    ("nl", "De verkoper moet de bestelling binnen 2 werkdagen verzenden.", [("time_limit", 2, "business_day", "dispatch")]),
    ("pt", "A reclamação deve ser apresentada no prazo de 30 dias.", [("time_limit", 30, "day", "dispute")]),
    ("pt", "O consumidor pode exercer o direito de arrependimento no prazo de 7 dias.",
     [("time_limit", 7, "day", "cancellation")]),
    ("es", "Recibirá una respuesta en un plazo de 48 horas.", [("time_limit", 48, "hour", "response")]),
    ("fr", "Les articles sont repris sous un délai de 30 jours à compter de la date de livraison.",
     [("time_limit", 30, "day", "return")]),
    ("it", "L'acquirente deve pagare l'importo dovuto entro 10 giorni.", [("time_limit", 10, "day", "payment")]),
    ("fr", "Notre service client vous contactera dans un délai de 48 heures.", [("time_limit", 48, "hour", "response")]),
    # being contacted is an answer; contacting the seller about a defect is no response (a claim's window)
    ("es", "Debe contactarse con Usted en el plazo de dos años a partir del descubrimiento del defecto.",
     [("time_limit", 2, "year", "")]),
    # a participle before its noun names a thing too ("returned items", "het geretourneerde product"); after a noun
    # and before "within" it is the verb
    ("nl", "De Ondernemer vergoedt alle betalingen voor het geretourneerde product onverwijld doch binnen 14 dagen.",
     [("time_limit", 14, "day", "refund")]),
    ("en", "Refunds for returned items are issued within 14 days.", [("time_limit", 14, "day", "refund")]),
    ("en", "Items returned within 14 days are refunded in full.", [("time_limit", 14, "day", "return")]),
    # a time phrase in a parenthesis after words that name nothing opens the predicate; after a named step it does not
    ("it", "Il Venditore procederà quindi, nel termine di 15 giorni lavorativi successivi alla risoluzione del contratto, "
           "al rimborso dell'importo pagato.", [("time_limit", 15, "business_day", "refund")]),
    ("en", "The seller must, within 3 days of the order, ship the item.", [("time_limit", 3, "day", "dispatch")]),
    ("it", "Il Venditore ne darà comunicazione all'utente, tramite il sistema di messaggistica, entro 5 giorni lavorativi "
           "dal ricevimento del Prodotto, respingendo la richiesta di recesso.",
     [("time_limit", 5, "business_day", "notice")]),
    # accepting orders is the seller's answer to them; a damage reported is a claim
    ("it", "Il Venditore deve mantenere tempi di accettazione degli ordini inferiori alle 48 ore.",
     [("time_limit", 48, "hour", "response")]),
    ("en", "Sellers should complete accepting orders within 24 hours.", [("time_limit", 24, "hour", "response")]),
    ("it", "Il danno deve essere denunciato al corriere non oltre otto giorni dopo il ricevimento.",
     [("time_limit", 8, "day", "dispute")]),
    ("en", "Any damage must be reported within 48 hours of delivery.", [("time_limit", 48, "hour", "dispute")]),
    # the right of withdrawal's own words ("without giving any reason") name its period when nothing else does
    ("pt", "O consumidor poderá, no prazo de 14 dias após a celebração do contrato, terminar o referido contrato "
           "relativamente a um serviço sem apresentar qualquer motivo.", [("time_limit", 14, "day", "cancellation")]),
    ("de", "Der Verbraucher kann seine Vertragserklärung innerhalb von 14 Tagen ohne Angabe von Gründen in Textform "
           "erklären.", [("time_limit", 14, "day", "cancellation")]),
    ("en", "A consumer may end the contract within 14 days without giving any reason.",
     [("time_limit", 14, "day", "cancellation")]),
    ("en", "We may close your account at any time without giving any reason, and will pay out your balance within 30 days.",
     [("time_limit", 30, "day", "payment")]),
    # a time phrase that opens a relative clause: the verb after it governs it
    ("it", "Il reclamo viene esaminato e il Venditore, che entro i successivi 30 giorni verrà contattato dal team, riceve "
           "una proposta.", [("time_limit", 30, "day", "response")]),
]

#: extractor 7: a notice given through a light verb ("darà comunicazione", "dará aviso", "gives notice") is the
#: clause's predicate, so a noun in its object (the refund the notice is about) does not outrank it; a gerund is no
#: predicate. The first two failed before (refund).
SENTENCES += [
    ("it", "Del minore importo del rimborso il Venditore darà comunicazione all'Acquirente, tramite la messaggistica "
           "della Piattaforma, entro 5 giorni lavorativi dal ricevimento del Prodotto.",
     [("time_limit", 5, "business_day", "notice")]),
    ("es", "Del reembolso parcial, el Vendedor dará aviso al Comprador, por la mensajería de la Plataforma, en un "
           "plazo de 5 días hábiles desde la recepción del producto.", [("time_limit", 5, "business_day", "notice")]),
    ("en", "The seller will issue the refund to the buyer, after giving notice, within 5 business days of receiving "
           "the item.", [("time_limit", 5, "business_day", "refund")]),
    # an alternative deadline for when something is missing limits the same step; the cue in the condition names
    # what is missing (both failed before: cancellation)
    ("nl", "Voor zover niet anders is bepaald, dienen de verschuldigde bedragen te worden voldaan binnen 14 dagen na "
           "het ingaan van de bedenktermijn, of bij het ontbreken van een bedenktermijn binnen 14 dagen na het "
           "sluiten van de overeenkomst.", [("time_limit", 14, "day", "payment"), ("time_limit", 14, "day", "payment")]),
    ("fr", "Le prix doit être remboursé dans les 14 jours suivant le début du délai de rétractation ou, en l'absence "
           "de délai de rétractation, dans les 14 jours suivant la conclusion du contrat.",
     [("time_limit", 14, "day", "refund"), ("time_limit", 14, "day", "refund")]),
]

#: the issue's languages the corpus has no deadline in (zh-Hans, zh-Hant, ja, id, ms, th, vi): more steps each, as
#: sellers read them (the first four failed before: a Chinese "word" ran to the sentence's start, so the period's
#: name was the whole sentence; the predicate after a Chinese time phrase names the step; 撥付; 30日前までに)
SENTENCES += [
    ("zh-Hans", "买家申请退款后，卖家须在48小时内处理退款申请。", [("time_limit", 48, "hour", "refund")]),
    ("zh-Hans", "买家应在签收后7天内申请退货。", [("time_limit", 7, "day", "return")]),
    ("zh-Hans", "平台将在收到申诉材料后3个工作日内完成审核。", [("time_limit", 3, "business_day", "review")]),
    ("zh-Hans", "商家须在收到纠纷通知后5天内提交证明材料。", [("time_limit", 5, "day", "documents")]),
    ("zh-Hant", "買家提出退貨申請後，賣家須於3日內回覆。", [("time_limit", 3, "day", "response")]),
    ("zh-Hant", "平台將於收到檢舉後24小時內刪除侵權商品。", [("time_limit", 24, "hour", "takedown")]),
    ("zh-Hant", "訂單完成後，款項將於7個工作日內撥付給賣家。", [("time_limit", 7, "business_day", "payment")]),
    ("ja", "返品を受け付けた日から14日以内に返金します。", [("time_limit", 14, "day", "refund")]),
    ("ja", "ご注文から2営業日以内に発送してください。", [("time_limit", 2, "business_day", "dispatch")]),
    ("ja", "規約を変更する場合は、30日前までに通知します。", [("time_limit", 30, "day", "notice")]),
    ("id", "Penjual wajib membalas chat pembeli dalam waktu 12 jam.", [("time_limit", 12, "hour", "response")]),
    ("id", "Pengembalian dana akan diproses paling lambat 14 hari kerja.",
     [("time_limit", 14, "business_day", "refund")]),
    ("id", "Pembeli dapat mengajukan pengembalian barang dalam waktu 7 hari setelah pesanan diterima.",
     [("time_limit", 7, "day", "return")]),
    ("ms", "Penjual mesti menghantar pesanan dalam tempoh 3 hari bekerja.",
     [("time_limit", 3, "business_day", "dispatch")]),
    ("ms", "Bayaran balik akan dibuat dalam tempoh 14 hari.", [("time_limit", 14, "day", "refund")]),
    ("ms", "Anda boleh mengemukakan rayuan dalam tempoh 7 hari dari tarikh notis.",
     [("time_limit", 7, "day", "appeal")]),
    ("th", "ผู้ซื้อสามารถขอคืนเงินได้ภายใน 15 วัน", [("time_limit", 15, "day", "refund")]),
    ("th", "ผู้ขายต้องตอบกลับข้อความของผู้ซื้อภายใน 24 ชั่วโมง", [("time_limit", 24, "hour", "response")]),
    ("th", "อัตราการยกเลิกคำสั่งซื้อต้องต่ำกว่า 2.5%", [("metric_threshold", 2.5, "percent", "cancellation_rate")]),
    ("vi", "Người mua có thể yêu cầu trả hàng trong vòng 7 ngày kể từ khi nhận hàng.",
     [("time_limit", 7, "day", "return")]),
    ("vi", "Shopee sẽ hoàn tiền cho người mua trong vòng 3 ngày làm việc.",
     [("time_limit", 3, "business_day", "refund")]),
    ("vi", "Người bán cần giao hàng cho đơn vị vận chuyển trong vòng 2 ngày.", [("time_limit", 2, "day", "dispatch")]),
]

#: extractor 8 (each failed before): a number written in words and again in digits ("thirty (30) days"); "days'
#: advance notice"; confirming orders, "reageren" and "bestätigt" are responses; "le vendeur répond des défauts" is a
#: liability, no response; a buyer leaving a review is no review of a case; "reversera" pays out; "depuis au moins 3
#: mois" is how long something has been, no deadline; "have 48 hours to resolve the issue"
SENTENCES += [
    ("en", "In that instance, the marketplace will provide thirty (30) days' advance notice of any such amendment.",
     [("time_limit", 30, "day", "notice")]),
    ("en", "Once a buyer contacts you to notify you of a problem with an order, you will have 48 hours to resolve "
           "the issue.", [("time_limit", 48, "hour", "dispute")]),
    ("en", "Buyers can leave a review of their purchase within 100 days after the estimated delivery date.",
     [("time_limit", 100, "day", "")]),
    ("es", "El vendedor debe enviar el artículo al comprador en un plazo de cinco (5) días hábiles.",
     [("time_limit", 5, "business_day", "dispatch")]),
    ("es", "Le informaremos por correo electrónico quince (15) días antes de que la modificación entre en vigor.",
     [("time_limit", 15, "day", "notice")]),
    ("pt", "O Anunciante tem um prazo de 14 (catorze) dias a contar da contratação para exercer o seu direito de "
           "livre resolução.", [("time_limit", 14, "day", "cancellation")]),
    ("fr", "Le vendeur confirme les commandes sous soixante-douze (72) heures, toute commande non confirmée sous "
           "soixante-douze (72) heures étant annulée.",
     [("time_limit", 72, "hour", "response"), ("time_limit", 72, "hour", "response")]),
    ("fr", "Le vendeur répond des défauts de conformité qui apparaissent dans un délai de 2 ans à compter de la "
           "délivrance du bien.", [("time_limit", 2, "year", "")]),
    ("fr", "La plateforme reversera au vendeur le prix de vente au terme d'un délai de vingt (20) jours à compter "
           "de l'acceptation de la vente.", [("time_limit", 20, "day", "payment")]),
    ("fr", "Le vendeur peut activer l'option s'il est inscrit sur la plateforme depuis au moins 3 mois "
           "consécutifs.", []),
    ("nl", "De klantenservice zal in beginsel binnen vier weken op een verzoek tot inzage reageren.",
     [("time_limit", 4, "week", "response")]),
    ("de", "Kündigungen per E-Mail werden vom Betreiber innerhalb von 5 Werktagen bestätigt.",
     [("time_limit", 5, "business_day", "response")]),
    # "plazo de preaviso de", "tiene … para"; reporting a problem is a dispute, and a strong cue that starts where a
    # weak one does ("informar el problema", "inform") is not weak; "…, y como máximo en 30 días" bounds the step
    # named before; a short parenthesis after a fronted time phrase is read past; completing a purchase is paying
    ("es", "La plataforma podrá suspender el servicio, previa notificación a los usuarios y respetando un plazo de "
           "preaviso de treinta (30) días.", [("time_limit", 30, "day", "notice")]),
    ("es", "El comprador tiene dos años luego de la entrega del artículo para invocar esta garantía.",
     [("time_limit", 2, "year", "")]),
    ("es", "Si su artículo se ha extraviado, debe informar el problema a la plataforma lo antes posible, pero, a más "
           "tardar, 14 días naturales tras la recepción de una notificación que le enviará la plataforma.",
     [("time_limit", 14, "calendar_day", "dispute")]),
    ("es", "Los artículos deben entregarse a los compradores en la fecha indicada en la conversación, y como máximo "
           "en 30 días.", [("time_limit", 30, "day", "delivery")]),
    ("nl", "Binnen een termijn van zeven werkdagen na ontvangst van de klacht, zoals bedoeld in lid 1, zal een "
           "medewerker telefonisch contact met de verkoper opnemen om de klacht te bespreken.",
     [("time_limit", 7, "business_day", "response")]),
    ("en", "A buyer is obligated to complete the transaction of a purchase of an item in any shop within three (3) "
           "days.", [("time_limit", 3, "day", "payment")]),
    ("de", "Der Teilnehmer wird Anfragen des Betreibers binnen 14 Tagen per E-Mail oder schriftlich beantworten.",
     [("time_limit", 14, "day", "response")]),
    # an item not received within N days is late delivery; "nel termine massimo di"; "corrispondere" pays; a period
    # that has elapsed ("sia trascorso un periodo inferiore a 12 mesi") is no deadline
    ("it", "Il Programma può essere attivato se il Prodotto non è stato ricevuto dall'Acquirente entro i tre (3) "
           "giorni successivi alla data di consegna indicata.", [("time_limit", 3, "day", "delivery")]),
    ("it", "Il Venditore non ha effettuato il rimborso nel termine massimo di 7 giorni dall'accordo con l'Acquirente.",
     [("time_limit", 7, "day", "refund")]),
    ("it", "Il Venditore è tenuto a corrispondere alla società le somme dovute entro e non oltre 5 giorni dal "
           "ricevimento della diffida.", [("time_limit", 5, "day", "payment")]),
    ("it", "La responsabilità è limitata a quanto versato se tra la data di efficacia e l'evento sia trascorso un "
           "periodo inferiore a 12 mesi.", []),
    # a step that takes effect after a period states when it happens, and a presumption what is presumed: no
    # deadline (both were extracted before); "prazo mínimo de"
    ("fr", "Cette résiliation prendra effet au terme d'un délai de 30 (trente) jours calendaires à compter de sa "
           "notification par la plateforme.", []),
    ("pt", "Essa resolução do contrato produz efeitos no prazo de 15 dias a contar da recepção da notificação.", []),
    ("it", "Salvo prova contraria, si presume che i difetti di conformità che si manifestano entro i 12 mesi dalla "
           "consegna esistessero già a tale data.", []),
    ("pt", "Qualquer alteração será comunicada aos anunciantes profissionais com um prazo mínimo de 15 (quinze) dias.",
     [("time_limit", 15, "day", "notice")]),
    # an age, an average and a retention are no deadlines, however "à compter de" or "au moins" reads
    ("fr", "Toute personne physique âgée d'au moins dix-huit (18) ans peut s'inscrire sur la Galerie Marchande.", []),
    ("fr", "Le virement se fera dans un délai moyen de sept (7) jours à compter de la date de réception de l'Article.",
     []),
    ("fr", "Le Vendeur s'engage à conserver la preuve d'expédition du colis pendant trente (30) jours à compter de "
           "ladite expédition.", []),
    ("fr", "Les données relatives à l'identification sont conservées pendant une durée de cinq ans à compter de la fin "
           "de la relation contractuelle.", []),
    # Dutch "bericht" (a notice) and "uitvoeren" (fulfilling orders) at the clause's end; responding to an inquiry
    # about a dispute is a response (the dispute is the inquiry's object)
    ("nl", "Indien een bestelling niet kan worden uitgevoerd, ontvangt de Koper hiervan uiterlijk 30 dagen nadat hij "
           "de bestelling geplaatst heeft bericht.", [("time_limit", 30, "day", "notice")]),
    ("nl", "De ondernemer zal geaccepteerde bestellingen met bekwame spoed doch uiterlijk binnen 30 dagen uitvoeren.",
     [("time_limit", 30, "day", "delivery")]),
    ("en", "If you do not respond to the marketplace's inquiry regarding a dispute within forty-eight (48) hours, the "
           "marketplace may close it.", [("time_limit", 48, "hour", "response")]),
    # the verb after "und" is a second predicate: the complaint is what the two days limit, not the proof
    ("de", "Ein wichtiger Grund liegt vor, wenn der Händler diesen Beschwerden nicht binnen zwei Werktagen abhilft "
           "und dies gegenüber dem Betreiber nachweist.", [("time_limit", 2, "business_day", "dispute")]),
]


def test_a_bulleted_deadline_takes_the_step_its_lead_in_names():
    """"Puede activar la Protección al Comprador …:" / "* en el plazo de 14 días …;": the item continues the lead-in,
    so a deadline in it that names no step limits the lead-in's (buyer protection: a dispute). An item that is a
    sentence of its own keeps its own reading (before: both items had no subject)."""
    text = ("Usted puede activar la Protección al Comprador pulsando el botón que se encuentra en el Mensaje Privado, "
            "proporcionando pruebas justificativas:\n\n"
            "* en el plazo de 14 días a partir del día de entrega del Artículo pedido;\n"
            "\\- en caso de pérdida del Artículo, en el plazo de 14 días calendario a partir de la recepción de un aviso.\n\n"
            "La cuenta puede cancelarse en los siguientes casos:\n\n"
            "* Por inactividad. El usuario puede iniciar sesión dentro de un plazo de 30 días tras el aviso.")
    assert _read(text, "es") == [
        (14.0, "day", "dispute"), (14.0, "calendar_day", "dispute"), (30.0, "day", "")]


def test_a_period_named_again_is_the_deadline_before_it():
    """"Le délai de 72 heures commence à courir …" names no step: it is the deadline right before it, restated (before:
    no subject); "en el plazo de" is Spanish for "within", no restatement."""
    text = ("Le vendeur confirme les commandes sous soixante-douze (72) heures. Le délai de "
            "soixante-douze (72) heures commence à courir au jour de la sortie du produit.")
    assert [(v.value, v.subject) for v in extract(text, "fr")] == [(72.0, "response"), (72.0, "response")]
    text = "El vendedor debe responder en un plazo de 14 días. Podrá ponerse en contacto en el plazo de 14 días."
    assert [v.subject for v in extract(text, "es")] == ["response", ""]


def test_a_percentage_in_words_and_digits_is_one_threshold():
    """"achtennegentig procent (98%)": one number, written twice (before: the digits in brackets stood apart)."""
    from pipeline.rules import digits

    assert digits("achtennegentig procent (98%) van de artikelen", "nl") == "98 procent van de artikelen"


def test_a_sentence_a_pdf_wrapped_over_paragraphs_is_one_sentence():
    """A PDF printed each line as a paragraph of its own: a long line that ends in a word runs on into the next, so
    the cue before the wrap reaches the number after it; a heading or a numbered clause after it starts anew."""
    text = ("Der Vertrag läuft auf unbestimmte Zeit und kann von beiden Seiten mit einer Frist von\n\n"
            "vier Wochen zu jedem Quartalsende gekündigt werden.\n\n"
            "§ 8 Änderungen dieser Bedingungen, die der Betreiber nach eigenem Ermessen vornehmen\n\n"
            "2. Die Laufzeit beträgt 12 Monate.")
    values = extract(text, "de")
    assert [(v.value, v.unit, v.subject) for v in values] == [(4.0, "week", "notice")]
    assert values[0].sentence.startswith("Der Vertrag") and values[0].sentence.endswith("gekündigt werden.")
    assert not any("vornehmen" in s and "Laufzeit" in s for s, _ in sentences(text))


@pytest.mark.parametrize("language,sentence,wanted", SENTENCES, ids=[f"{s[0]}-{n}" for n, s in enumerate(SENTENCES)])
def test_sentence_values(language, sentence, wanted):
    found = [(v.kind, v.value, v.unit, v.subject) for v in extract(sentence, language)]
    assert found == [(k, float(n), u, s) for k, n, u, s in wanted]
    for v in extract(sentence, language):
        assert v.sentence == sentence  # the evidence is the sentence as written


def test_a_step_named_again_with_a_demonstrative_is_the_one_the_sentence_before_names():
    """"Tale termine …", "This request …": a deadline that names no step in a sentence opening on a demonstrative
    limits the step the sentence before it names; with no such opening the deadline stays about nothing named."""
    text = ("Nella e-mail di richiesta sarà specificato il termine entro il quale il documento dovrà essere inviato. "
            "Tale termine non sarà superiore a 5 giorni lavorativi dal ricevimento della richiesta.")
    assert _read(text, "it") == [(5.0, "business_day", "documents")]
    text = "You can appeal the removal of a listing. This request must be made within 30 days."
    assert [(v.value, v.subject) for v in extract(text, "en")] == [(30.0, "appeal")]
    text = "You can appeal the removal of a listing. Our team looks into it within 30 days."
    assert [(v.value, v.subject) for v in extract(text, "en")] == [(30.0, "")]


def test_a_period_named_again_with_its_number_is_the_deadline_stated_before():
    """"during that 100 day period", "during the 15-day notice period": the deadline the section stated before with
    that number and unit, and its step; with none stated before, a period named so is a duration, no deadline."""
    text = ("Buyers can leave a review within 100 days of delivery. Buyers can edit their review any number of times "
            "during that 100 day period.")
    assert [(v.value, v.subject) for v in extract(text, "en")] == [(100.0, ""), (100.0, "")]
    text = ("You will be notified 15 days prior to any change. If you continue to sell during the 15-day notice period, "
            "you accept the change.")
    assert [(v.value, v.subject) for v in extract(text, "en")] == [(15.0, "notice"), (15.0, "notice")]
    assert extract("We look at the orders of the account during the 30-day period.", "en") == []
    table = "| Step | Time |\n|---|---|\n| Review | during the 30-day period |\n"
    assert extract(table, "en") == []


def test_a_form_blank_to_fill_in_does_not_end_its_sentence():
    """A model form's line ending in a blank of dots runs on into the next paragraph (",senza indebiti ritardi …"):
    the deadline there is the step the line before names."""
    text = ("Sei pregato di rispedire i beni al seguente indirizzo " + "." * 80 + "\n\n" + "." * 60 +
            ",senza indebiti ritardi e in ogni caso entro 14 giorni dal giorno in cui hai comunicato il tuo recesso.")
    (value,) = extract(text, "it")
    assert (value.value, value.subject) == (14.0, "return") and value.sentence.startswith("Sei pregato")


def test_a_full_stop_run_on_to_the_next_word_ends_a_sentence():
    """A PDF's lost space after a full stop: the next sentence is its own, so the delivery named before it is not
    what its 3 days limit, and its evidence is that sentence alone."""
    (value,) = extract("Dopo il tentativo di consegna andato a vuoto, il pacco andrà in giacenza presso il corriere.L'utente"
                       " è tenuto a ritirare il pacco nel termine di 3 giorni di calendario.", "it")
    assert (value.value, value.unit, value.subject) == (3.0, "calendar_day", "")
    assert value.sentence == "L'utente è tenuto a ritirare il pacco nel termine di 3 giorni di calendario."
    # a domain is no sentence's end
    assert [s for s, _ in sentences("Contact bol.com or Amazon.de today.")] == ["Contact bol.com or Amazon.de today."]


def test_a_metric_line_takes_the_metric_its_label_line_names():
    """A list of service levels: each percentage's own line names no metric, the line before it does."""
    markdown = ("1. Op tijd geleverd\n\n    ≥ 98% van totaal aantal verzendingen\n\n2. Annuleringen\n\n"
                "    ≤ 2% van het aantal bestelde artikelen\n\n3. Retourzendingen\n\n    ≤ 5% van het aantal artikelen\n")
    found = [(v.value, v.subject) for v in extract(markdown, "nl")]
    assert found == [(98.0, "on_time_delivery_rate"), (2.0, "cancellation_rate"), (5.0, "")]


def test_a_sentence_ends_after_a_number_but_not_after_an_abbreviation():
    """"Section 5." ends a sentence; "z. B.", "e. g.", "bzw.", "Pte. Ltd.", "D. Lgs." do not."""
    assert [s for s, _ in sentences("Refunds are described in Section 5. Within 2 days, ship it.")] == [
        "Refunds are described in Section 5.", "Within 2 days, ship it."]
    for one in ("Kontakt z. B. Per E-Mail binnen 14 Tagen.", "Use a carrier, e. g. DHL, within 2 days.",
                "Pakete bzw. Sendungen gehen binnen 2 Tagen raus.", "TikTok Pte. Ltd. ships within 2 days.",
                "Ai sensi del D. Lgs. 206/2005 entro 14 giorni.", "Rechnungen von mobile.de GmbH & Co. KG kommen."):
        assert [s for s, _ in sentences(one)] == [one]
    # so the refund named before "Section 5." is not what the next sentence's deadline limits
    for text, subject in (("Refunds are described in Section 5. Within 2 business days of an order, you must ship it.",
                           "dispatch"),
                          ("For refunds see section 5. Within 3 days of a buyer message, sellers must respond.",
                           "response")):
        (value,) = extract(text, "en")
        assert value.subject == subject
        assert value.sentence == text.split("5. ")[1]


def test_a_heading_names_no_metric_for_a_sign_threshold():
    """Only a numbered or list label line names the metric of the line after it, and only through a metric's
    name: a heading about returns and cancellations says nothing about which rate "≥ 98%" is."""
    md = "## Returns and cancellations\n\n≥ 98% of orders must arrive by the promised date."
    assert [(v.value, v.subject) for v in extract(md, "en")] == [(98.0, "")]
    md = "1. Returns and cancellations\n\n    ≥ 98% of orders must arrive by the promised date."
    assert [(v.value, v.subject) for v in extract(md, "en")] == [(98.0, "")]
    md = "- Late shipment rate\n\n    ≤ 4% of orders"
    assert [(v.value, v.subject) for v in extract(md, "en")] == [(4.0, "late_shipment_rate")]


def test_every_issue_language_has_cues():
    from pipeline.rules import languages

    assert {"en", "zh", "ja", "de", "fr", "es", "it", "id", "ms", "th", "vi"} <= set(languages())
    assert {s[0].split("-")[0] for s in SENTENCES} >= {"en", "zh", "ja", "de", "fr", "es", "it", "id", "ms", "th",
                                                       "vi"}


def test_every_subject_has_a_label_in_both_languages():
    from datasette_plugins.labels import LABELS
    from pipeline.rules import keyword_data, UNIT_FAMILY

    for subject in [*keyword_data()["subjects"], *keyword_data()["metrics"], "penalty_points"]:
        assert all(LABELS[f"subject_{subject}"]), subject
    for unit in UNIT_FAMILY:
        assert all(LABELS[unit]), unit


def test_a_table_of_point_levels_gives_each_level_with_its_action():
    md = ("| Valid points | Restriction | Duration |\n| --- | --- | --- |\n| 6 | Warning notice | None |\n"
          "| 12 | Removal from campaigns | 7 days |")
    found = [(v.value, v.action) for v in extract(md, "en")]
    assert found == [(6.0, "Warning notice"), (12.0, "Removal from campaigns")]


def test_a_sign_that_opens_the_line_is_a_threshold_without_a_metric_name():
    assert [(v.value, v.comparator, v.subject) for v in extract("≥ 98% van totaal aantal verzendingen", "nl")] == [
        (98.0, "above", "")]
    # a range of price changes is no threshold
    assert extract("reduções dos preços que podem ir de > 0% a </= 30% face ao preço", "pt") == []


def test_a_metric_row_keeps_its_window():
    md = "| Metric | Target | Time window |\n| --- | --- | --- |\n| Late shipment rate | Under 4% | 10 days and 30 days |"
    (v,) = extract(md, "en")
    assert (v.subject, v.comparator, v.value, v.window) == ("late_shipment_rate", "below", 4.0, "10 days, 30 days")


def test_a_row_names_the_metric_nearest_its_cell():
    md = ("| Metric | Target | Metric | Target |\n| --- | --- | --- | --- |\n"
          "| Order defect rate | under 1% | Late shipment rate | under 4% |")
    assert [(v.value, v.subject) for v in extract(md, "en")] == [(1.0, "order_defect_rate"), (4.0, "late_shipment_rate")]


def test_value_changes_pair_values_by_section_and_subject():
    old = [("3", v) for v in extract("平台收到有效投诉后，将在2个工作日内删除涉嫌侵权的商品。", "zh")]
    new = [("3", v) for v in extract("平台收到有效投诉后，将在24小时内下架涉嫌侵权的商品。", "zh")]
    ((key, o, n),) = value_changes(old, new)
    assert (key, o.value, o.unit, n.value, n.unit) == ("3", 2.0, "business_day", 24.0, "hour")
    assert value_changes(old, old) == []
    # a different count of values in the slot: which replaced which would be a guess
    two = [("3", v) for v in extract("将在24小时内删除商品，并在48小时内下架同类商品。", "zh")]
    assert value_changes(old, two) == []


def test_values_without_a_subject_pair_only_in_one_reworded_sentence():
    old = [("norms", v) for v in extract("≥ 98% van totaal aantal verzendingen", "nl")]
    unrelated = [("norms", v) for v in extract("≥ 90% van de belpogingen de telefoon opnemen", "nl")]
    assert [v.subject for _, v in old + unrelated] == ["", ""]
    assert value_changes(old, unrelated) == []  # two lines about different things: no "this replaced that"
    reworded = [("norms", v) for v in extract("≥ 97% van totaal aantal verzendingen", "nl")]
    ((_, o, n),) = value_changes(old, reworded)
    assert (o.value, n.value) == (98.0, 97.0)


# --- the demo KB -------------------------------------------------------------------------------------------------

def _rules(data, *args):
    result = CliRunner().invoke(cli, ["rules", "--data", str(data), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_demo_late_shipment_target_change(demo_kb):
    out = _rules(demo_kb, "--concept", "late-shipment-rate")
    demomart = [v for v in out["values"] if v["platform"] == "demomart"]
    assert {(v["value"], v["unit"], v["comparator"], v["window"]) for v in demomart} == {
        (3.0, "percent", "below", "10 days, 30 days")}
    assert all("3%" in v["evidence"] for v in demomart)
    changes = [c for c in out["changes"] if c["platform_id"] == "demomart"]
    assert {(c["section_key"], c["old_value"], c["new_value"]) for c in changes} == {
        ("late-shipment-rate", 4.0, 3.0), ("performance-targets", 4.0, 3.0)}
    text = next(c for c in changes if c["section_key"] == "late-shipment-rate")
    assert (text["old_window"], text["new_window"]) == ("", "10 days, 30 days")
    assert "under 4%" in text["old_evidence"] and "under 3%" in text["new_evidence"]
    # shoptide's "late dispatch rate" lines up under the same concept through the glossary
    assert any(v["platform"] == "shoptide" and v["value"] == 4.0 for v in out["values"])


def test_demo_appeal_windows(demo_kb):
    out = _rules(demo_kb, "--concept", "appeal", "--platform", "kuajing")
    first = [(v["value"], v["unit"]) for v in out["values"] if v["section"] == "第3条"]
    assert first == [(7.0, "calendar_day"), (15.0, "calendar_day")]
    assert all("第三条【申诉时限】" in v["evidence"] for v in out["values"] if v["section"] == "第3条")
    assert all(v["version"].startswith("kuajing/appeals/") for v in out["values"])


def test_demo_takedown_time_change(demo_kb):
    out = _rules(demo_kb, "--platform", "kuajing", "--concept", "listing-removal")
    (change,) = out["changes"]
    assert (change["old_value"], change["old_unit"], change["new_value"], change["new_unit"]) == (
        2.0, "business_day", 24.0, "hour")
    assert "2个工作日" in change["old_evidence"] and "24小时" in change["new_evidence"]
    assert change["change_id"] and change["section_key"] == "第3条"


def test_demo_penalty_point_levels(demo_kb):
    out = _rules(demo_kb, "--concept", "penalty-points")
    shoptide = [(v["value"], v["action"]) for v in out["values"] if v["platform"] == "shoptide"]
    assert [n for n, _ in shoptide] == [6.0, 12.0, 24.0, 36.0, 48.0]
    assert shoptide[-1][1] == "Shop permanently deactivated"
    kuajing = [(v["section"], v["value"]) for v in out["values"] if v["document"] == "kuajing/violations"]
    assert sorted(n for _, n in kuajing) == [12.0, 12.0, 24.0, 24.0, 36.0, 48.0]
    assert any(v["action"].startswith("关闭店铺") and v["value"] == 48.0 for v in out["values"])


def test_rule_value_spans_have_first_and_last_seen(demo_kb):
    import sqlite3

    conn = sqlite3.connect(demo_kb / "policykb.db")
    rows = conn.execute("select value, first_seen, last_seen, current from rule_value_spans where document_id = "
                        "'kuajing/ip-infringement' and section_key = '第3条' order by first_seen").fetchall()
    assert [(r[0], r[3]) for r in rows] == [(2.0, 0), (24.0, 1)]
    assert rows[0][1] < rows[0][2] <= rows[1][1]


@pytest.mark.parametrize("args", [["--concept", "apeal"], ["--platform", "nowhere"]])
def test_bad_options_are_one_line_and_exit_2(demo_kb, args):
    result = CliRunner().invoke(cli, ["rules", "--data", str(demo_kb), *args])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "无此取值" in result.output


def test_a_value_without_a_subject_says_so_in_the_listing(demo_copy):
    """A value the extractor gave no subject (its sentence names no step, or too weakly) is listed as "subject not
    determined 未判定", never as a bare dash or a guess."""
    import sqlite3

    conn = sqlite3.connect(demo_copy / "policykb.db")
    conn.execute("update rule_values set subject = '', concept_id = null "
                 "where document_id = 'kuajing/ip-infringement' and value = 24")
    conn.commit()
    conn.close()
    result = CliRunner().invoke(cli, ["rules", "--data", str(demo_copy)])
    assert result.exit_code == 0, result.output
    line = next(s for s in result.output.splitlines() if "kuajing/ip-infringement" in s and " 24 " in s)
    assert line.startswith("subject not determined 未判定 · ")


# --- the page ----------------------------------------------------------------------------------------------------

@pytest.fixture
def ds(demo_kb):
    import yaml
    from datasette.app import Datasette

    from conftest import ROOT

    return Datasette([str(demo_kb / "policykb.db")],
                     metadata=yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8")))


@pytest.mark.asyncio
async def test_rules_page_compares_platforms_in_both_languages(ds):
    zh = await ds.client.get("/-/policykb/rules?concept=appeal&hl=zh")
    assert zh.status_code == 200
    assert 'data-platform="kuajing"' in zh.text and 'data-platform="shoptide"' in zh.text
    assert "/-/policykb/rules?concept=appeal&amp;hl=en" in zh.text  # the switch keeps the concept
    shown = zh.text.split("<body")[1].replace('data-unit="calendar_day"', "")
    assert "时限 7 个自然日" in shown and "calendar_day" not in shown
    assert "第三条【申诉时限】" in zh.text and "/-/policykb/doc/kuajing/appeals#s-" in zh.text
    en = await ds.client.get("/-/policykb/rules?concept=late-shipment-rate&hl=en")
    assert "under 3%" in en.text and "pkb-value-changes" in en.text and "4% → 3%" in en.text
    for topic in ("penalty-points", "response", "late-shipment-rate"):
        page = await ds.client.get(f"/-/policykb/rules?concept={topic}&hl=zh")
        assert page.status_code == 200 and "subject_" not in page.text  # every word through the label table
    missing = await ds.client.get("/-/policykb/rules?concept=nosuch")
    assert missing.status_code == 404


@pytest.mark.asyncio
async def test_rules_page_escapes_evidence(demo_copy):
    import sqlite3

    from datasette.app import Datasette

    conn = sqlite3.connect(demo_copy / "policykb.db")
    conn.execute("update rule_values set evidence = '<script>alert(1)</script>' where concept_id = 'appeal'")
    conn.commit()
    conn.close()
    page = await Datasette([str(demo_copy / "policykb.db")]).client.get("/-/policykb/rules?concept=appeal")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_a_value_change_is_an_alert_once(demo_copy):
    """The demo's builds recorded the takedown change; its alert names both values; evaluating again does not open
    it again, and it stays open (news) until the KB holds a later check."""
    from conftest import rows
    from kb.db import open_db
    from kb.ops import alerts

    db_path = demo_copy / "policykb.db"
    changed = rows(db_path, "select id, subject, message, state from alerts where kind = 'value_changed'")
    changes = rows(db_path, "select id from rule_value_changes")
    assert {a["id"] for a in changed} and len(changed) == len(changes)
    takedown = [a for a in changed if "kuajing/ip-infringement" in a["message"]]
    assert len(takedown) == 1 and "2 business_day → 24 hour" in takedown[0]["message"]
    assert "数值已变更：2 个工作日 → 24 小时" in takedown[0]["message"]  # English then Chinese, like the citation alerts
    open_now = "select subject from alerts where kind = 'value_changed' and state = 'open'"
    assert [a["subject"] for a in rows(db_path, open_now)] == [takedown[0]["subject"]]  # the earlier one: resolved
    db = open_db(demo_copy)
    try:
        assert [a for a in alerts.evaluate(db) if a["kind"] == "value_changed"] == []
        assert len(rows(db_path, open_now)) == 1
        db["checks"].insert({"document_id": "kuajing/appeals", "checked_at": "2026-07-02T00:00:00Z",
                             "outcome": "unchanged"})  # the next crawl
        assert [a for a in alerts.evaluate(db) if a["kind"] == "value_changed"] == []
        assert rows(db_path, open_now) == []
    finally:
        db.close()


@pytest.mark.asyncio
async def test_the_feed_lists_value_changes_first(ds):
    import feedparser

    feed = feedparser.parse((await ds.client.get("/-/policykb/feed/kuajing.atom")).text)
    entry = next(e for e in feed.entries if "24 hour" in e.summary)
    html = entry.summary
    assert "2 business days → 24 hours" in html and "business_day" not in html  # units in words, not as stored
    assert html.index("value changed 数值变更") < html.index("</li>")  # the first item of the list


# --- the reference of real versions ------------------------------------------------------------------------------

def test_the_corpus_reference_meets_the_targets():
    """tests/rules_reference.yml: at least 100 hand-checked values in at least 6 languages; the extraction's precision
    at least 95 % and recall at least 90 % over the documents the cues were tuned and checked on (bench/eval_rules.py
    prints them per language), and in each language over the whole reference (numbers only). The blind set (``blind: true``, labelled before the extractor ran on it) is measured
    apart and falls short of these targets (README); each set is held to them here only in precision (a set that fell
    short at its first score, to that score), so that a cue fitted to it shows as what it is: a change to this test.
    A blind set cues were later built from says ``tuned_on: true`` and counts with the tuned documents; set 5, tuned
    on since extractor 15 and short of the targets with subject, is also held to its own scores."""
    import sys

    import yaml

    from conftest import ROOT

    corpus = ROOT.parent / "shared" / "corpus"
    if not corpus.is_dir():
        pytest.skip(f"no corpus at {corpus}")
    reference = yaml.safe_load((ROOT / "tests" / "rules_reference.yml").read_text(encoding="utf-8"))
    values = [(d["language"], v) for d in reference["documents"] for v in d["values"]]
    assert len(values) >= 100 and len({lang for lang, _ in values}) >= 6
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_rules import evaluate

    tuned = {"documents": [d for d in reference["documents"] if not d.get("blind")]}
    result = evaluate(tuned, corpus, subjects=False)  # the issue's targets are on the values themselves
    assert result["overall"]["precision"] >= 0.95 and result["overall"]["recall"] >= 0.90, result["overall"]
    # since extractor 16 every language meets them on its own over the whole reference, blind sets included (en
    # 257 of 284 matched, 90.5 %, fr 208 of 223, 93.3 %, the lowest; bench/eval_rules.py "numbers only, all"): each
    # is held to them, so that one language falling short shows even when the pooled figures hide it
    for language, counts in evaluate(reference, corpus, subjects=False)["languages"].items():
        assert counts["precision"] >= 0.95 and counts["recall"] >= 0.90, (language, counts)
    # with subject too since extractor 9 (extractor 10: 95.5 % / 91.0 %; extractor 11, with the third set tuned on:
    # 95.8 % / 91.3 %; extractor 12: 98.4 % / 95.8 %; extractor 13, with Rue du Commerce tuned on: 95.8 % / 90.2 %
    # (extractor 14 the same: 459 of 509 matched, the floor 458.1, so leaving a subject empty has no room here);
    # extractor 15: 95.8 % / 90.6 %, 461 of 509; extractor 16: 95.6 % / 93.1 %, 474 of 509), README: a right number
    # about the wrong thing is wrong. Set 5
    # (Allegro, tuned on since extractor 15) is held apart below: with it the tuned documents' subjects fall short
    # (extractor 15: 90.8 % / 84.0 % over 638), which this says rather than hides
    before_set_5 = {"documents": [d for d in tuned["documents"] if d.get("blind_set") != 5]}
    result = evaluate(before_set_5, corpus, subjects=True)
    assert result["overall"]["precision"] >= 0.95 and result["overall"]["recall"] >= 0.90, result["overall"]
    # set 5, tuned on since extractor 15 (first blind score, extractor 13: 86.4 % / 54.3 % numbers only, 38.3 % /
    # 24.0 % with subject): the target precision, and its recall and subjects held to extractor 16's scores rounded
    # down (extractor 15: 84.5 % numbers only, 68.8 % / 58.1 % with subject; extractor 16: 89.1 % numbers only,
    # 69.2 % / 62.8 % with subject), short of the targets, so that a loss shows
    set_5 = evaluate(reference, corpus, subjects=False, only="set 5")["overall"]
    assert set_5["expected"] >= 100 and set_5["precision"] >= 0.95 and set_5["recall"] >= 0.89, set_5
    set_5 = evaluate(reference, corpus, subjects=True, only="set 5")["overall"]
    assert set_5["precision"] >= 0.69 and set_5["recall"] >= 0.62, set_5
    # each blind set is held to the target precision, or a set whose first score fell short of it to that score,
    # rounded down (none since set 5 was tuned on)
    first_short: dict[str, float] = {}
    sets = sorted({d.get("blind_set", 2) for d in reference["documents"] if d.get("blind")})
    assert len(sets) >= 2, sets
    for n in sets:
        blind = evaluate(reference, corpus, subjects=False, only=f"blind {n}")
        floor = first_short.get(f"blind {n}", 0.95)
        assert blind["overall"]["expected"] >= 40 and blind["overall"]["precision"] >= floor, (n, blind["overall"])
    # every entry says what it is about, so bench/eval_rules.py can count a right number about the wrong thing wrong
    assert all(isinstance(v.get("subject"), str) for _, v in values)


def test_the_eval_prints_each_language_on_all_and_held_out():
    """bench/eval_rules.py: precision and recall per language, numbers only and with subject, on all versions and on
    the held-out half of the reference (split by document, so no document's versions are in both halves)."""
    import subprocess
    import sys

    from conftest import ROOT

    if not (ROOT.parent / "shared" / "corpus").is_dir():
        pytest.skip("no corpus at ../shared/corpus")
    sys.path.insert(0, str(ROOT / "bench"))
    from eval_rules import half

    assert half("versions/hood/terms-of-service/20240417T124140Z.md") == half("versions/hood/terms-of-service/x.md")
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_rules.py")], capture_output=True, text=True,
                         check=True).stdout
    tables = {}
    for block in out.split("\n\n")[1:]:
        title, _, *rows = block.strip().splitlines()
        tables[title] = {row.split()[0]: row.split()[4:] for row in rows}
    assert {"numbers only, all", "numbers only, held-out", "with subject, all", "with subject, held-out"} <= set(tables)
    assert {"de", "en", "fr", "all"} <= set(tables["with subject, held-out"])
    # precision and recall; with subject also precision among the values given a subject, and their share
    assert all(len(row) == (4 if title.startswith("with subject") else 2) and all(x.endswith("%") for x in row)
               for title, t in tables.items() for row in t.values())


def test_the_eval_measures_a_subset_of_documents():
    """bench/eval_rules.py --docs: only the documents whose path holds one of the texts (the blind set is measured
    apart this way); a text no document holds is a bad option (exit 2, one line)."""
    import subprocess
    import sys

    from conftest import ROOT

    if not (ROOT.parent / "shared" / "corpus").is_dir():
        pytest.skip("no corpus at ../shared/corpus")
    script = str(ROOT / "bench" / "eval_rules.py")
    out = subprocess.run([sys.executable, script, "--docs", "hood/", "--ignore-subject"], capture_output=True,
                         text=True, check=True).stdout
    rows = [line.split()[0] for line in out.split("numbers only, all", 1)[1].split("\n\n")[0].splitlines()[2:]]
    assert rows == ["de", "all"], out
    bad = subprocess.run([sys.executable, script, "--docs", "no-such-document/"], capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_old_value_changes_are_history_not_alerts(demo_copy):
    """A value change detected long before the KB's latest check (what the first build after an upgrade finds
    when it reads every old version) opens no alert."""
    import sqlite3

    from conftest import rows
    from kb.db import open_db
    from kb.ops import alerts

    db_path = demo_copy / "policykb.db"
    conn = sqlite3.connect(db_path)
    conn.execute("delete from alerts where kind = 'value_changed'")
    conn.commit()
    conn.close()
    db = open_db(demo_copy)
    try:
        opened = [a for a in alerts.evaluate(db) if a["kind"] == "value_changed"]
    finally:
        db.close()
    latest = rows(db_path, "select max(checked_at) m from checks")[0]["m"]
    recent = rows(db_path, "select id from rule_value_changes where julianday(?) - julianday(detected_at) <= 14",
                  [latest])
    assert {a["subject"] for a in opened} == {r["id"] for r in recent}
    assert len(rows(db_path, "select id from rule_value_changes")) > len(recent)  # the older ones stayed quiet


# --- what the stored values depend on (issue 23's review) ---------------------------------------------------------

def test_values_are_read_again_for_a_new_extractor_or_glossary(demo_copy, monkeypatch):
    """Stored values carry the glossary and the extractor they were read with; either changing reads every
    version again, and what the old reading stored is replaced, not left beside."""
    import sqlite3

    from kb import rules
    from kb.db import open_db
    from pipeline import rules as extraction

    db_path = demo_copy / "policykb.db"
    db = open_db(demo_copy)
    try:
        versions = db.execute("select count(*) from versions").fetchone()[0]
        assert rules.derive(db) == 0  # the build read everything with today's marks
        some = db.execute("select version_id from rule_values limit 1").fetchone()[0]
        db.execute("insert into rule_values (id, version_id, document_id, section_key, ordinal, kind, value, unit, "
                   "subject) select ?, id, document_id, 'stale', 99, 'time_limit', 1, 'day', 'appeal' from versions "
                   "where id = ?", [f"{some}/stale/99", some])
        db.conn.commit()
        monkeypatch.setattr(extraction, "EXTRACTOR_VERSION", extraction.EXTRACTOR_VERSION + 1)
        assert rules.derive(db) == versions
        assert db.execute("select count(*) from rule_values where section_key = 'stale'").fetchone()[0] == 0
        assert rules.derive(db) == 0
        db.execute("update glossary_state set value = json_set(value, '$.glossary', 'another') where key = 'state'")
        db.conn.commit()
        assert rules.derive(db) == versions
    finally:
        db.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("select count(distinct extractor) from rule_value_versions").fetchone()[0] == 1


def _three_versions(tmp_path, values):
    """A KB whose one document has a version per value of ``values``, each stating it in section 1."""
    from kb.db import open_db

    db = open_db(path=tmp_path / "kb.db")
    db["platforms"].insert({"id": "p", "name": "P"}, pk="id", alter=True)
    db["documents"].insert({"id": "p/d", "platform_id": "p", "title": "D", "url": "https://example.invalid/d"},
                           pk="id", alter=True)
    for seq, value in enumerate(values, 1):
        vid = f"p/d/{seq}"
        db["versions"].insert({"id": vid, "document_id": "p/d", "seq": seq, "observed_at": f"2026-0{seq}-01T00:00:00Z"},
                              pk="id", alter=True)
        db["rule_values"].insert({"id": f"{vid}/1/0", "version_id": vid, "document_id": "p/d", "platform_id": "p",
                                  "section_key": "1", "ordinal": 0, "kind": "metric_threshold", "value": value,
                                  "unit": "percent", "subject": "late_shipment_rate", "comparator": "below",
                                  "time_window": "", "observed_at": f"2026-0{seq}-01T00:00:00Z"})
    db.execute("update documents set current_version_id = ?", [f"p/d/{len(values)}"])
    db.conn.commit()
    return db


def test_first_seen_is_when_the_value_came_back(tmp_path):
    """4 % → 3 % → 4 %: the current 4 % was first seen when it came back, in the read and in the view alike."""
    from kb.rules import current_values

    db = _three_versions(tmp_path, [4.0, 3.0, 4.0])
    try:
        (value,) = current_values(db.conn)
        assert value["value"] == 4.0 and value["first_seen"] == "2026-03-01T00:00:00Z"
        spans = dict(db.execute("select value, first_seen from rule_value_spans").fetchall())
        assert spans == {4.0: "2026-03-01T00:00:00Z", 3.0: "2026-02-01T00:00:00Z"}
    finally:
        db.close()
    db = _three_versions(tmp_path / "unbroken", [4.0, 4.0, 4.0])
    try:
        assert current_values(db.conn)[0]["first_seen"] == "2026-01-01T00:00:00Z"
    finally:
        db.close()


def test_a_change_with_many_values_keeps_their_order(demo_copy, expected):
    """Values of one change in their order, the 11th after the 2nd (not "/10" before "/2")."""
    import sqlite3

    from datasette_plugins.feeds import change_sections

    conn = sqlite3.connect(demo_copy / "policykb.db")
    change_id, section = conn.execute(
        "select change_id, section_key from rule_value_changes where document_id = 'kuajing/ip-infringement'"
    ).fetchone()
    conn.execute("delete from rule_value_changes where change_id = ?", [change_id])
    for n in range(12):
        conn.execute("insert into rule_value_changes (id, ordinal, change_id, document_id, platform_id, section_key,"
                     " kind, subject, old_value, new_value, old_unit, new_unit, old_window, new_window, detected_at)"
                     " select ?, ?, ?, 'kuajing/ip-infringement', 'kuajing', ?, 'time_limit', 'takedown', ?, ?, 'day',"
                     " 'day', '', '', detected_at from changes where id = ?",
                     [f"{change_id}/{section}/{n}", n, change_id, section, n + 1, n + 100, change_id])
    conn.commit()
    feed = [v["old"] for v in change_sections(conn, [change_id])[change_id] if v["status"] == "value"]
    assert [int(v.split()[0]) for v in feed] == [n + 1 for n in range(12)]
    result = CliRunner().invoke(cli, ["brief", "--data", str(demo_copy), "--since", expected["dates"][0],
                                      "--until", expected["dates"][-1], "--format", "json"])
    brief = json.loads(result.output)
    values = next(c["values"] for p in brief["groups"] for d in p["documents"] for c in d["changes"]
                  if c["id"] == change_id)
    assert [v["old_value"] for v in values] == [float(n + 1) for n in range(12)]


def test_a_value_about_nothing_named_shows_no_raw_key():
    from kb.brief import markdown

    value = {"section_key": "1", "kind": "metric_threshold", "subject": "", "concept_id": None, "old_value": 98.0,
             "old_unit": "percent", "new_value": 97.0, "new_unit": "percent", "old_window": "", "new_window": "",
             "new_evidence": "≥ 97%"}
    data = {"since": "2026-01-01", "until": "2026-01-08", "platforms": [], "concept": None, "listed": 1,
            "not_listed": {}, "groups": [{"id": "p", "name": "P", "name_zh": None, "documents": [{
                "id": "p/d", "title": "D", "title_zh": None, "url": "https://example.invalid/", "changes": [{
                    "id": "c", "detected_at": "2026-01-02T00:00:00Z", "from_seq": 1, "to_seq": 2,
                    "effective": {"date": None, "label": None}, "concepts": [], "values": [value, {
                        **value, "subject": "no_such_subject"}],
                    "links": {"from": "/a", "to": "/b", "diff": "/c", "original": "https://example.invalid/"},
                    "sections": []}]}]}]}
    for lang in ("zh", "en"):
        text = markdown(data, lang)
        assert "98 % → **97 %**" in text and "subject_" not in text and "no_such_subject" not in text


# extractor 10: a keep-word or a presumption before an unrelated deadline, "not received" of a payment, "uitvoeren"
# of a refund, a lead-in that excludes its items, a web page's next paragraph, "one (1)": wrong in extractor 9
# (the retention "kept for 90 days" and an item "not received" stay as they were)
REVIEW_CASES = [
    ("en", "Keep in mind that you must respond to buyer messages within 24 hours.", [(24, "hour", "response")]),
    ("en", "To retain your Top Rated status, ship orders within 1 business day.", [(1, "business_day", "dispatch")]),
    ("en", "Sellers must keep tracking information and ship within 2 business days.",
     [(2, "business_day", "dispatch")]),
    ("en", "If you are a presumptive winner, you must claim the prize within 30 days.", [(30, "day", "dispute")]),
    ("fr", "Le vendeur doit conserver les factures et expédier la commande dans un délai de 3 jours ouvrés.",
     [(3, "business_day", "dispatch")]),
    ("en", "Invoices must be kept for 90 days after the sale.", []),
    ("en", "The User shall retain such documents for the period of at least 24 months from the payment date.", []),
    ("en", "If the buyer's payment has not been received within 4 days, you may cancel the order.",
     [(4, "day", "payment")]),
    ("fr", "Si le paiement n'a pas été reçu dans un délai de 7 jours, la commande est annulée.", [(7, "day", "payment")]),
    ("en", "If your item has not been received within 30 days, you can open a claim.", [(30, "day", "delivery")]),
    ("nl", "De verkoper moet de terugbetaling binnen 14 dagen uitvoeren.", [(14, "day", "refund")]),
    ("nl", "Je moet de retour binnen 14 dagen uitvoeren.", [(14, "day", "return")]),
    ("en", "Returns are not accepted for:\n\n- products with an expiry date within 30 days of delivery;\n"
           "- custom-made items.", [(30, "day", "")]),
    ("es", "No se aceptan devoluciones de:\n\n- productos que caducan dentro de 30 días;\n- productos a medida.",
     [(30, "day", "")]),
    ("en", "Refunds for cancelled orders are described on the Refunds and Returns page of Seller Central\n\n"
           "Within 2 business days of the order, you must ship it.", [(2, "business_day", "dispatch")]),
    ("en", "Sellers must ship every order within one (1) business day.", [(1, "business_day", "dispatch")]),
    ("es", "El vendedor debe enviar el pedido en un plazo de dos (2) días hábiles.", [(2, "business_day", "dispatch")]),
]


@pytest.mark.parametrize(("language", "text", "want"), REVIEW_CASES)
def test_extractor_10_reads_what_the_review_found_wrong(language, text, want):
    """Each was read wrong by extractor 9 (a deadline dropped, the wrong step, a window the page never states)."""
    assert _read(text, language) == want


def test_a_long_page_reads_as_its_paragraphs_one_by_one():
    """A page of many paragraphs gives the values its paragraphs give one by one: a paragraph ending in a word is not
    joined to the next one across a blank line (a web page's paragraphs), and reading it stays in step."""
    paragraphs = ["Refunds for cancelled orders are described on the Refunds and Returns page of Seller Central",
                  "Within 2 business days of the order, you must ship it to the address the buyer gave.",
                  "Sellers must keep their listings accurate and up to date at all times on the marketplace.",
                  "The seller must respond to buyer messages and keep the returned items in stock for the buyer",
                  "You must answer a claim within 3 days.",
                  "Returned items are refunded within 14 days of their receipt at the warehouse."] * 400
    page = _read("\n\n".join(paragraphs), "en")
    one_by_one = [(v.value, v.unit, v.subject) for p in paragraphs for v in extract(p, "en")]
    assert page == one_by_one and len(page) == 1200


def test_a_pdf_printed_a_line_a_paragraph_is_still_joined():
    """A PDF whose every printed line is a paragraph of its own (most long lines end in a word) is joined across
    its blank lines even where the next line opens on a capitalised term ("… within 14 days from the date of" /
    "Complaint receipt."): a web page's paragraphs are not, a PDF's hard wraps are."""
    wrapped = ["The Seller shall make the goods available for collection by the courier in accordance with the",
               "Seller Account settings and the Allegro Standard rules, and the Seller shall also respond to any",
               "Discussion within 24 hours from being alleged of any misconduct by the Buyer or by Allegro.pl in",
               "connection with the sale of the goods listed in the offer concerned by the Discussion and the"] * 4
    text = "\n\n".join(wrapped + ["Transaction concerned."])
    values = extract(text, "en")
    assert [(v.value, v.unit, v.subject) for v in values] == [(24, "hour", "response")] * 4


# extractor 11, from the third blind set's misses (each sentence read wrong by extractor 10): a lawsuit or legal action
# (a dispute), stopping the sale or distribution of a product (a takedown), withdrawing from the agreement (a
# cancellation), "within either one (1) year", "days' written or email notice", a "14-day cancellation right", a
# request that "must not be older than 6 months", a "notice period of 30 days" or "longer … than 15 days", a second
# deadline of the same step ("…, and in all other cases within …", "…, and within 2 business days after …"), a
# tenure ("has been a member for at least 5 years") and a period counted back ("the 30-day period preceding your
# request") are no deadlines, and a lead-in's negation inside its "if" clause does not exclude its items
EXTRACTOR_11_CASES = [
    ("en", "You may not maintain any action against us regarding a payout statement unless you commence that action "
           "or suit within six months after the statement date.", [(6, "month", "dispute")]),
    ("en", "You may not bring a suit against us regarding a statement unless you bring it within six months after "
           "the statement date.", [(6, "month", "dispute")]),
    ("en", "You may file an appeal against the decision, but only if you do so within 14 days of the notice.",
     [(14, "day", "appeal")]),
    ("en", "The rights holder will then have 10 days to initiate legal action and notify us.", [(10, "day", "dispute")]),
    ("en", "We will stop selling your product within 3 business days after we receive your withdrawal request.",
     [(3, "business_day", "takedown")]),
    ("en", "We will use reasonable efforts to stop selling the item within 10 business days after we receive such "
           "notice, and within 2 business days after such receipt where the notice concerns a third party claim.",
     [(10, "business_day", "takedown"), (2, "business_day", "takedown")]),
    ("en", "You must respond within 24 hours to any urgent buyer request, and in all other cases within three "
           "business days of the request.", [(24, "hour", "response"), (3, "business_day", "response")]),
    ("es", "El vendedor debe responder en un plazo de 24 horas a las solicitudes urgentes, y en los demás casos en un "
           "plazo de 3 días hábiles.", [(24, "hour", "response"), (3, "business_day", "response")]),
    ("en", "The user may withdraw from the agreement within 14 days of receiving the notice of the changes.",
     [(14, "day", "cancellation")]),
    ("en", "Any claim arising from the use of the service must be filed within either one (1) year from the date the "
           "cause of action arose or such longer period as the law prescribes.", [(1, "year", "dispute")]),
    ("en", "Either party may terminate the contract by giving 10 calendar days' written or email notice to the other "
           "party.", [(10, "calendar_day", "notice")]),
    ("en", "Business users are not entitled to the 14-day cancellation right of distance contracts.",
     [(14, "day", "cancellation")]),
    ("en", "When you request mediation, the final decision on the dispute must not be older than 6 months.",
     [(6, "month", "dispute")]),
    ("en", "The notice period of 30 days does not apply where we must end the service at once.", [(30, "day", "notice")]),
    ("en", "You may waive the notice period, unless a longer notice period than 15 days applies.",
     [(15, "day", "notice")]),
    ("en", "The Gold badge is awarded to a seller who has been a member of the marketplace for at least 5 years.", []),
    ("en", "An audit takes place on at least 30 days' prior written notice. The report covers the sales made during "
           "the 30-day period preceding your request.", [(30, "day", "notice")]),
    # a right already exercised is a condition met, not the step the deadline limits (the contact is: no cue)
    ("es", "Si ha ejercido su derecho de desistimiento y nadie se pone en contacto con nosotros en el plazo de 14 días "
           "naturales, cerraremos el caso.", [(14, "calendar_day", "")]),
    ("en", "If you have exercised your right of withdrawal and nobody contacts us within 14 days, we close the case.",
     [(14, "day", "")]),
    ("en", "You may exercise your right of withdrawal within 14 days of delivery.", [(14, "day", "cancellation")]),
    # a share of the items a clause requires of a metric it names, with no comparison, is a minimum
    ("nl", "De verkoper garandeert dat achtennegentig procent (98%) van de artikelen te allen tijde wordt geleverd "
           "binnen de op het platform vermelde levertijd.", [(98, "percent", "on_time_delivery_rate")]),
    ("en", "The seller guarantees that 95% of the orders are delivered within the stated delivery time.",
     [(95, "percent", "on_time_delivery_rate")]),
    ("en", "A commission of 15% of the item price applies to every order delivered within the delivery time.", []),
    ("en", "If you have no tracking number, you can still open a buyer protection claim:\n\n"
           "- within 30 days of the estimated delivery date;", [(30, "day", "dispute")]),
]


@pytest.mark.parametrize(("language", "text", "want"), EXTRACTOR_11_CASES)
def test_extractor_11_reads_what_the_third_blind_set_missed(language, text, want):
    """Each was read wrong by extractor 10 (a deadline dropped, the wrong step, or a duration taken for a deadline)."""
    assert _read(text, language) == want


def test_a_long_sentence_of_many_numbers_gives_what_its_clauses_give_one_by_one():
    """One sentence of many clauses, each with a number (a page that never ends a sentence), gives the values its
    clauses give one by one: what a clause holds is found in that clause wherever it stands in the sentence."""
    clauses = ["the seller must ship the order within 2 business days",
               "sellers must respond to buyer messages within 24 hours",
               "the late shipment rate must stay under 4% over 30 days",
               "the suspension lasts 7 days",
               "the buyer may file an appeal within 14 days of the decision",
               "refunds are issued within 5 business days of the return"] * 150
    sentence = "; ".join(clauses) + "."
    whole = [(v.kind, v.value, v.unit, v.subject, v.window) for v in extract(sentence, "en")]
    one_by_one = [(v.kind, v.value, v.unit, v.subject, v.window) for c in clauses for v in extract(c + ".", "en")]
    assert whole == one_by_one and len(whole) == 750
    # one clause of many numbers: each is a deadline of the step the clause names
    sentence = "Sellers must ship orders " + ", ".join(f"within {i % 20 + 1} days of order type {i}" for i in range(600))
    assert _read(sentence + ".", "en") == [
        (i % 20 + 1, "day", "dispatch") for i in range(600)]


def test_each_number_s_clause_is_the_one_the_plain_scan_finds():
    """The clause around each position of a long sentence (clause ends, "and" before a metric's name, conditionals with
    and without a comma before the number) is the one a plain scan of every end finds (extractor 10's way, which
    read a sentence once per number): the ends are now found once per sentence and looked up."""
    import re

    from pipeline.rules import _CLAUSE_END, _CONDITIONAL, _clause, _metric_conjunction

    def plain(text, position):
        ends = sorted([(m.start(), m.end()) for m in _CLAUSE_END.finditer(text)]
                      + [(m.start(), m.end()) for m in _metric_conjunction().finditer(text)]
                      + [(m.start(), m.end()) for m in _CONDITIONAL.finditer(text)
                         if not (m.end() <= position and "," in text[m.end():position])])
        start = 0
        for a, b in ends:
            if b <= position:
                start = max(start, b)
            elif a >= position:
                return start, a
        return start, len(text)

    parts = ["Sellers must ship within 2 days, if the buyer paid, and respond within 24 hours",
             "the late shipment rate must stay under 4% and the order defect rate under 1%",
             "a refund is due within 14 days, unless the item is returned damaged, when the seller, if asked, "
             "must answer within 3 days; 因此，卖家应在2个工作日内发货、并且在24小时内回复买家的消息"] * 40
    text = "; ".join(parts)
    positions = [m.start() for m in re.finditer(r"\d+", text)] + list(range(0, len(text), 7))
    assert [_clause(text, p) for p in positions] == [plain(text, p) for p in positions]


def test_words_are_scored_as_wordfreq_scores_them():
    """Split words are judged by wordfreq's Zipf frequency; the look-up reads ASCII words from its list directly.
    Every word of the list's head, a sample of its tail, their cuts and their capitalizations, and some words no
    list knows, score exactly as ``wordfreq.zipf_frequency`` scores them."""
    from wordfreq import get_frequency_dict, top_n_list, zipf_frequency

    from pipeline import rules

    for language in sorted(rules.SPLIT_LANGUAGES):
        listed = list(get_frequency_dict(language, "best"))
        words = top_n_list(language, 400) + listed[::400] + ["terminedi", "superiorea", "xqzvw", "Ω", "crème"]
        pieces = {w[:i] for w in words for i in range(1, len(w) + 1)} | {w[i:] for w in words for i in range(len(w))}
        pieces |= {w.upper() for w in words} | {w.capitalize() for w in words}
        for piece in sorted(pieces):
            assert rules._zipf(piece, language) == zipf_frequency(piece, language), (language, piece)


# extractor 12, from the tuned documents' wrong and missed values: an account or item left unused for a time ("have
# not been used for 12 months", "not retrieved … for more than 30 days") and "If, after 14 days, …" bound what happens
# next; a funds "clearance period" limits a payment; a period named again after "before" ("before the 48-hour
# window") and a period counted from an event in a definition ('"X" means a purchase … within five years after …')
# are no deadlines (a requirement in a definition still is)
EXTRACTOR_12_CASES = [
    ("en", "We reserve the right to close accounts that have not been used for 12 months.", [(12, "month", "")]),
    ("en", "Products that are not retrieved by a buyer for more than 30 days are deemed abandoned.",
     [(30, "day", "")]),
    ("en", "The account has been active for more than 12 months.", []),
    ("en", "If, after 14 days, we have not been informed that legal proceedings have been started, we restore the "
           "listing.", [(14, "day", "dispute")]),
    ("en", "The withdrawal is available only after a safety clearance period of maximum 75 days.",
     [(75, "day", "payment")]),
    ("en", "Withdrawals of funds are processed within 5 business days.", [(5, "business_day", "payment")]),
    ("en", "The platform may resolve an order issue before the 48-hour window in cases of harassment.", []),
    ("en", '"Eligible Purchase" means a purchase by a customer that occurs within five years after the device was '
           "first registered.", []),
    ("fr", "« Achat Éligible » désigne un achat effectué dans les 30 jours suivant l'enregistrement de l'appareil.", []),
    ("en", '"Premium Seller" means a seller who responds to buyer messages within 48 hours.', [(48, "hour", "response")]),
    # a step's period said to be N ("the default payment period for sellers is 30 calendar days", "your handling
    # time is 3 business days"), a period "from … until N days after …"; a stay "until N days after" is none
    ("en", "Unless agreed otherwise, the default payment period for sellers is 30 calendar days since the shipment "
           "date.", [(30, "calendar_day", "payment")]),
    ("en", "Your handling time is 3 business days.", [(3, "business_day", "dispatch")]),
    ("en", "The buyer may return the item within any period from the order date until 14 calendar days after its "
           "receipt.", [(14, "calendar_day", "return")]),
    ("en", "The listing stays suspended until 30 days after the payment.", []),
    # "a 3 dias de expirar": three days before something expires
    ("pt", "A 3 dias de expirar a validade do anúncio, o utilizador pode proceder à sua renovação.", [(3, "day", "")]),
    ("pt", "O anúncio fica ativo por 60 dias.", []),
    # a parcel available at a pick-up place for a time: how long the buyer has to collect it (a step no subject
    # names); a card that must stay valid for a time, and an offer available for a time, are no deadlines
    ("fr", "Si le colis est hors gabarit, il ne pourra pas être livré à domicile mais sera disponible pendant 8 jours "
           "à l'agence régionale.", [(8, "day", "")]),
    ("en", "If we cannot deliver the parcel, it will be available for 10 days at the pick-up point.", [(10, "day", "")]),
    ("en", "The premium feature is available for 30 days.", []),
    ("fr", "Votre carte bancaire doit être valide dans les 90 jours qui suivent votre première échéance.", []),
    # a return or withdrawal "period of" N, and performing the service ("offrir la prestation") as its delivery
    ("fr", "Le délai de rétractation est complété d'une possibilité de retour de seize (16) jours francs "
           "supplémentaires.", [(16, "calendar_day", "return")]),
    ("en", "We offer an extended return period of 60 days on all items.", [(60, "day", "return")]),
    ("fr", "Le Vendeur doit pouvoir offrir effectivement la prestation à l'Acheteur dans un délai d'un (1) mois au plus "
           "tard.", [(1, "month", "delivery")]),
    # a period that "must not fall short of" N ("die Dauer von 15 Tagen nicht unterschreiten darf"), the period of a
    # change offer (an "Änderungsangebot") being its notice; a duration alone is none
    ("de", "Der Anbieter kann Änderungen dieser AGB mit einer angemessenen Frist anbieten (\"Änderungsangebot\"), die "
           "jedoch die Dauer von 15 Tagen nicht unterschreiten darf.", [(15, "day", "notice")]),
    ("de", "Die Kündigungsfrist darf 30 Tage nicht unterschreiten.", [(30, "day", "notice")]),
    ("de", "Die Sperre dauert 30 Tage.", []),
    # "este periodo no podrá ser inferior a 30 días": a minimum, and the period the sentence before named (a notice)
    ("es", "Si bloqueamos una cuenta, daremos al usuario un periodo de aviso razonable. Si el bloqueo afecta a todas las "
           "funciones, este periodo no podrá ser inferior a 30 días.", [(30, "day", "notice")]),
    ("en", "If we restrict your account, we give you a reasonable notice period. Where the restriction concerns all "
           "features, this period shall be at least 30 days.", [(30, "day", "notice")]),
    ("es", "El periodo de bloqueo podrá ser superior a 30 días.", []),
    # counted from a dispute, in a clause naming no other step: part of settling it; a step named wins, and a period
    # counted from another event takes nothing from it
    ("en", "Unless otherwise agreed between the parties within 14 days of notice of the dispute, the mediator will be "
           "nominated by the mediation centre.", [(14, "day", "dispute")]),
    ("en", "The seller must refund the buyer within 14 days of the claim.", [(14, "day", "refund")]),
    ("en", "You may opt out within 30 days of the date you first accepted these terms.", [(30, "day", "")]),
    # something handed in to the platform before an event: a submission's deadline, not a notice
    ("en", "You must provide marketing and customer communications to us at least ten business days before your "
           "planned use.", [(10, "business_day", "documents")]),
    ("en", "We may change our fees by posting the changes or send the information by e-mail 30 days in advance.",
     [(30, "day", "notice")]),
    # es "se beneficiará de / tendrá un periodo de N … para <step>": a deadline for that step; with no "para", a
    # duration (a free trial)
    ("es", "El consumidor se beneficiará de un periodo de dos años a partir de la entrega del producto para actuar.",
     [(2, "year", "")]),
    ("es", "El vendedor tendrá un periodo de 5 días hábiles para enviar el artículo.", [(5, "business_day", "dispatch")]),
    ("es", "Se beneficia de un periodo de 30 días de prueba gratuita.", []),
    # a start named as one named before ("the aforementioned email") points back to the start, not the step: the
    # sentence before's step is not taken (review of extractor 13: "confirm … within 48 hours of receipt of the
    # aforementioned email" read as a notice)
    ("en", "Sellers are informed by email of each order. Sellers must confirm or reject the order within 48 hours of "
           "receipt of the aforementioned email.", [(48, "hour", "")]),
    # "If, after N days, …" is a deadline only when something has not been done by then
    ("en", "If, after 7 days, the delivery country is provided, the marketplace shall correct the settlement.", []),
    ("en", "When, after 3 days, the buyer confirms receipt, the payment is released.", []),
    ("en", "If, after 14 days, the buyer hasn't paid, the order is cancelled.", [(14, "day", "payment")]),
    # a notice or a payment provided "to us" before an event is that, not a submission of documents
    ("en", "You must provide written notice to us at least 30 days before you terminate this Agreement.",
     [(30, "day", "notice")]),
    ("en", "You must provide marketing communications to us at least ten business days before your planned use.",
     [(10, "business_day", "documents")]),
    # "sous huitaine": no number, no unit, yet a French deadline of 8 days
    ("fr", "Le vendeur doit y remédier sous huitaine.", [(8, "day", "")]),
    ("fr", "En cas de défaut de paiement, une mise en demeure est adressée au Vendeur. Le Vendeur peut résilier le "
           "Contrat sous 14 jours après sa conclusion.", [(14, "day", "")]),
    # nl "vanaf 3 maanden na …": the moment from which something is allowed, no limit ("binnen … na" still is)
    ("nl", "Prijsverhogingen vanaf 3 maanden na de totstandkoming van de overeenkomst zijn alleen toegestaan indien de "
           "Ondernemer dit bedongen heeft.", []),
    ("nl", "De verkoper moet binnen 3 dagen na de bestelling verzenden.", [(3, "day", "dispatch")]),
]


# extractor 12: a share of the items alone on its line, under a numbered label naming a metric ("9. Track &
# Trace-nummer" / "100% van totaal aantal pakketverzendingen"), is that metric's minimum; under a label naming none,
# or in a sentence, it is nothing
EXTRACTOR_12_LABELS = [
    ("nl", "9. Track & Trace-nummer\n\n    100% van totaal aantal pakketverzendingen",
     [(100, "percent", "valid_tracking_rate")]),
    ("en", "3. Valid tracking rate\n\n- 95% of the total number of shipments", [(95, "percent", "valid_tracking_rate")]),
    ("en", "2. Returns\n\n100% of orders ship free.", []),
    ("nl", "- 100% van totaal aantal pakketverzendingen", []),
    ("en", "100% of the items are new.", []),
]


@pytest.mark.parametrize(("language", "text", "want"), EXTRACTOR_12_LABELS)
def test_a_share_alone_on_its_line_takes_its_labels_metric(language, text, want):
    assert _read(text, language) == want


@pytest.mark.parametrize(("language", "text", "want"), EXTRACTOR_12_CASES)
def test_extractor_12_reads_what_extractor_11_read_wrong(language, text, want):
    """Each was read wrong by extractor 11 (a deadline dropped, the wrong step, or a duration taken for a deadline)."""
    assert _read(text, language) == want


# extractor 13, from Rue du Commerce's wrong and missed values (set 4, tuned on since): French comparisons "ne doit pas
# excéder / dépasser" and "excède" before a percentage, and the rates a French or English merchant contract names
# in other words (refusal, out-of-stock refund, late shipment, requests left unanswered); a number of hours written
# "h" from 24 up ("sous 48h"; "18h" is a clock time) and "working hours"; "dans un délai raisonnable de", "le délai
# est de", "délai de rétractation de", "(a|this) time frame of", "advance notice of", "N day's notice"; a deadline
# extended ("prolongé de", "extended to"); "sous huitaine / quinzaine / trentaine"; a clause resumed by "et ce"; an
# account or shop with no sale for a time ("aucune vente depuis plus de", "has not made any sales for"); the steps:
# an amicable agreement is a dispute's, as is contesting an operation or a delivery; bills "payables", a balance
# "transféré" / "transferred" are a payment; "accept or refuse the order" and an average acceptance time a response;
# a failure that "must be reported" or "doit être signalée / communiquée" a notice; "formuler ses observations" and
# "notify their refusal" (of proposed changes) an appeal;
# a new version that "constituera un avenant" within N days (when it takes effect) and access kept "pendant une durée
# de" N years are no deadlines
EXTRACTOR_13_CASES = [
    ("fr", "Le taux de refus des commandes ne doit pas dépasser 4 % sur le trimestre.", [(4, "percent", "cancellation_rate")]),
    ("fr", "Le taux de retard d'expédition du vendeur ne doit pas excéder 5% de ses commandes.",
     [(5, "percent", "late_shipment_rate")]),
    ("fr", "Si le taux de remboursement pour rupture de stock excède 2 %, la boutique est suspendue.",
     [(2, "percent", "cancellation_rate")]),
    ("fr", "Le vendeur qui laisse sans réponse plus de 5% des messages des acheteurs reçoit un avertissement.",
     [(5, "percent", "response_rate")]),
    ("en", "A shop whose refusal rate exceeds 4% of its orders over a month is suspended.", [(4, "percent", "cancellation_rate")]),
    ("fr", "La commission ne doit pas excéder 15 % du prix de vente.", []),
    ("fr", "Le vendeur répond à chaque message dans un délai raisonnable de dix (10) jours.", [(10, "day", "response")]),
    ("fr", "Toute modification de ces données doit être communiquée sous 24h.", [(24, "hour", "notice")]),
    ("fr", "Si aucune réponse n'est donnée à l'acheteur dans un délai de 48h ouvrées, le litige est ouvert.",
     [(48, "hour", "response")]),
    ("fr", "La boutique ouvre à 9h et les colis remis avant 13h partent le jour même jusqu'à 18h.", []),
    ("en", "The seller must reply to buyer messages within 24 working hours.", [(24, "hour", "response")]),
    ("fr", "Les factures sont payables dans un délai de 30 jours à compter de leur émission.", [(30, "day", "payment")]),
    ("fr", "Le solde du compte sera transféré dans un délai de six (6) mois sur le compte bancaire du vendeur.",
     [(6, "month", "payment")]),
    ("fr", "Les parties chercheront un accord amiable dans un délai de 60 jours avant toute action en justice.",
     [(60, "day", "dispute")]),
    ("en", "The parties shall try to reach an amicable agreement within 45 days of the first notification.",
     [(45, "day", "dispute")]),
    ("fr", "L'acheteur qui veut contester une livraison doit le faire dans un délai de 10 jours.", [(10, "day", "dispute")]),
    ("en", "The seller must accept or refuse each order within three (3) calendar days.", [(3, "calendar_day", "response")]),
    ("en", "The shop must not accept orders for 3 days after a suspension.", []),
    ("fr", "Le délai moyen de confirmation des commandes sur un mois ne doit pas excéder 48h.", [(48, "hour", "response")]),
    ("en", "Any outage must be reported to the support team within a maximum of 12 hours.", [(12, "hour", "notice")]),
    ("fr", "Le client dispose d'un délai de rétractation de 14 jours calendaires pour nous renvoyer l'article.",
     [(14, "calendar_day", "cancellation")]),
    ("en", "The buyer has a time frame of 30 (thirty) days to open a dispute.", [(30, "day", "dispute")]),
    ("en", "We will change the fees with fifteen (15) day's notice.", [(15, "day", "notice")]),
    ("en", "Either party may end the contract with an advance notice of sixty (60) days.", [(60, "day", "notice")]),
    ("fr", "Le vendeur peut faire valoir ses observations sur le rapport, et ce dans les cinq (5) jours ouvrés.",
     [(5, "business_day", "appeal")]),
    ("fr", "Le compte d'un vendeur qui n'a fait aucune vente depuis plus de 6 mois peut être fermé.", [(6, "month", "")]),
    ("fr", "Le vendeur est inscrit depuis plus de 6 mois.", []),
    ("en", "We may close the shop of a seller who has not made any sales for more than 6 months.", [(6, "month", "")]),
    ("fr", "Le vendeur mis en demeure doit remédier au manquement sous quinzaine.", [(15, "day", "")]),
    ("fr", "Nous répondons dans un délai d'un mois. Ce délai peut être prolongé de deux mois si la demande est complexe.",
     [(1, "month", "response"), (2, "month", "response")]),
    ("en", "Any seller may refuse the proposed changes and must notify their refusal to us by registered letter two (2) "
           "months before the date announced for the changes.", [(2, "month", "appeal")]),
    ("fr", "Toute nouvelle version constituera un avenant au contrat dans le délai de dix (10) jours de sa publication.", []),
    ("en", "Each new version will constitute an automatic amendment to this agreement within ten (10) days of its posting.",
     []),
    ("fr", "L'accès aux relevés est maintenu pendant une durée de trois (3) ans à compter de la clôture du compte.", []),
]


@pytest.mark.parametrize(("language", "text", "want"), EXTRACTOR_13_CASES)
def test_extractor_13_reads_what_extractor_12_read_wrong(language, text, want):
    """Each positive case was read wrong by extractor 12 (a value dropped or the wrong step); the negatives (a fee, a
    clock time, a tenure, a duration) stay no value."""
    assert _read(text, language) == want


#: extractor 14: a cue standing after a deadline only, more than a few words past its unit, across the moment the period
#: counts from ("from the date of …", "dalla data di …", "à compter de …") or a relative clause, with no infinitive
#: marker linking it to the period, is weak evidence: the deadline gets no subject rather than that cue's
#: (``pipeline.rules._remote_after``); the first four were read as "delivery" by extractor 13, the last three keep
#: their subject (an infinitive, a quoted name of the period, a cue before the number)
EXTRACTOR_14_CASES = [
    ("it", "Il deposito sarà effettuato entro 15 giorni dalla data di sottoscrizione del Contratto e la Parte che lo "
           "avrà curato invierà all’altra copia della documentazione (ricevuta di avvenuta consegna).",
     [(15, "day", "")]),
    ("en", "The filing will be made within 15 days from the date of signature of the Agreement and the party that made "
           "it will send the other a copy of the file (the receipt confirming delivery).", [(15, "day", "")]),
    ("fr", "Le dépôt sera effectué dans un délai de 15 jours à compter de la signature du Contrat et la Partie qui "
           "l’aura fait enverra à l’autre une copie du dossier (accusé de livraison).", [(15, "day", "")]),
    ("es", "El depósito se hará en un plazo de 15 días a partir de la firma del Contrato y la Parte que lo haya hecho "
           "enviará a la otra una copia del expediente (acuse de entrega).", [(15, "day", "")]),
    ("en", "Sellers have up to 180 days from the date of the transaction to request refunds on the final value fees.",
     [(180, "day", "refund")]),
    ("it", "Il Venditore risponde entro 7 giorni lavorativi successivi all’invio del reclamo di cui ai paragrafi che "
           "precedono (“Termine di Risposta”).", [(7, "business_day", "response")]),
    ("en", "The seller will respond within 2 days (excluding the days on which the buyer, who opened the case, is "
           "sent a reminder).", [(2, "day", "response")]),
]


@pytest.mark.parametrize(("language", "text", "want"), EXTRACTOR_14_CASES)
def test_extractor_14_leaves_a_remote_cue_unsaid(language, text, want):
    """A deadline whose only cue stands far after it, past the moment it counts from or a relative clause, has no
    subject (a guess there is wrong more often than right on pages nobody tuned on); a cue linked by an infinitive,
    a quoted name of the period, or one before the number still names it."""
    assert _read(text, language) == want


#: extractor 15, built from set 5's misses (Allegro's Terms & Conditions, tuned on since): rules about English legal
#: text, each written here in other words than the page's: a bound stated with a modal ("may not exceed", "may not be
#: longer than", "shall not be shorter than"), a delay "by no more than", a period "not paid for", "have N days since
#: X to", a second case's deadline after "or"; a complaint handled is a review, funds returned a refund, and a time
#: phrase set off by commas is about the verb after it (``_set_off_predicate``); a comparison
#: and a share of what a shop counts is a threshold. The last seven are no deadline: a look-back ("within N days
#: preceding"), a period named again after "after the", a duration or validity however bounded, an account's age,
#: a retention, a share of a price
EXTRACTOR_15_CASES = [
    ("en", "The handling time may not exceed 3 business days.", [(3, "business_day", "dispatch")]),
    ("en", "The notice period shall not be shorter than 30 days from the date the changes are published.",
     [(30, "day", "notice")]),
    ("en", "Sellers will have 5 days since the buyer opened the case to respond.", [(5, "day", "response")]),
    ("en", "The refund may be delayed by no more than 2 business days.", [(2, "business_day", "refund")]),
    ("en", "Buyers may request a refund within 7 days (for an unopened item) or 30 days (for a defective item).",
     [(7, "day", "refund"), (30, "day", "refund")]),
    ("en", "Reports must be made within the period of 13 months from the date of the payment.",
     [(13, "month", "notice")]),
    ("en", "The dispatch time stated in the listing may not be longer than 48 hours.", [(48, "hour", "dispatch")]),
    ("en", "If the price is not paid for 5 days, the order is cancelled.", [(5, "day", "payment")]),
    ("en", "We will handle your complaint within 14 days of its receipt.", [(14, "day", "review")]),
    ("en", "Claims shall be dealt with by the marketplace within 30 days of filing.", [(30, "day", "review")]),
    ("en", "The seller shall return the funds to the buyer within 5 business days of the cancellation.",
     [(5, "business_day", "refund")]),
    ("en", "Sellers must upload a tracking number for at least 95% of all orders.",
     [(95, "percent", "valid_tracking_rate")]),
    ("en", "Your account is reviewed when the number of unresolved cases has exceeded 1% of the number of all "
           "transactions.", [(1, "percent", "")]),
    ("en", "The shop must keep a seller rating of at least 97%.", [(97, "percent", "")]),
    # a time phrase set off inside its clause: the verb after it names the step, unless it stood before it
    ("en", "The seller shall cooperate to clarify complaints and, upon each request, within 5 days of receiving such a "
           "request, provide copies of the invoices.", [(5, "day", "documents")]),
    ("en", "Upon termination, the provider shall refund to the user, within 14 days at the latest, all amounts paid by "
           "the user.", [(14, "day", "refund")]),
    # no value: a look-back, a period that is over, a duration, an account's age, a retention, a share of a price
    ("en", "Orders placed within 30 days preceding the review date are counted.", []),
    ("en", "You must ship the order within 30 days of the sale. After the 30-day period, the order is cancelled.",
     [(30, "day", "dispatch")]),
    ("en", "The duration of a promotion may not exceed 90 days.", []),
    ("en", "The validity period of a voucher may not exceed one year.", []),
    ("en", "At least 6 months have passed since the account was opened.", []),
    ("en", "Personal data shall be processed for a maximum period of 5 years.", []),
    ("en", "A discount of at least 10% of the item price applies.", []),
]


@pytest.mark.parametrize(("language", "text", "want"), EXTRACTOR_15_CASES)
def test_extractor_15_reads_what_set_5_missed_in_other_words(language, text, want):
    """Each positive case was no value, or another step, for extractor 14; the negatives stay no value."""
    assert _read(text, language) == want


# extractor 16, from the misses of Rue du Commerce (set 4, tuned on; its English half is read in English) and of
# Allegro (set 5, tuned on), each written here in other words than the page's: a period "beyond" or "after" which
# a step is not done ("Au-delà de … sans", "after … without") is that step's deadline, as is one after which an
# English clause forbids the step ("may not edit … after 48 hours of"); "no earlier than (after)" (not a step
# "effective no earlier than", which is when it takes effect); "within a reasonable period of", "the time limit is",
# "a time frame of longer than", "a maximum time frame of"; "above the threshold of" before a percentage; "en retrait
# des offres depuis plus de" like "withdrawn offers for more than"; a period in working time in a metric's clause is
# the deadline whose misses the metric counts, no window; a refund "au motif de la rupture de stock" is a
# cancellation rate's, "acceptance or refusal" a response's; a lead-in ending in "within:" gives its items' periods
# their cue
EXTRACTOR_16_CASES = [
    ("fr", "Au-delà de deux (2) jours ouvrés sans acceptation ou refus du vendeur, la commande est annulée "
           "automatiquement.", [(2, "business_day", "response")]),
    ("en", "After 10 days without a reply from the seller, the buyer may ask us to step in.", [(10, "day", "response")]),
    ("en", "After 10 days, the buyer may ask us to step in.", []),
    ("en", "Sellers may not edit the title of a listing after 48 hours of its publication.", [(48, "hour", "")]),
    ("en", "Sellers may edit the title of a listing after 48 hours.", []),
    ("en", "The claim form must be sent no earlier than after 30 days from the purchase.", [(30, "day", "dispute")]),
    ("en", "The new fees will be effective no earlier than 30 days from their publication.", []),
    ("en", "Complaints are examined within a reasonable period of ten (10) days.", [(10, "day", "review")]),
    ("en", "For payments by bank transfer, the time limit is 10 days.", [(10, "day", "payment")]),
    ("en", "The request is inadmissible if it is made within a time frame of longer than one year from the written "
           "complaint.", [(1, "year", "dispute")]),
    ("en", "A chargeback may be requested up until a maximum time frame of 120 days following the payment.",
     [(120, "day", "")]),
    ("en", "The seller pays the lost commission on all cancelled orders above the threshold of 2%.",
     [(2, "percent", "cancellation_rate")]),
    ("fr", "Le compte du vendeur qui est en retrait des offres depuis plus de 6 mois peut être désactivé.",
     [(6, "month", "")]),
    ("fr", "Sur un mois, le vendeur laisse sans réponse plus de 5% des messages dans un délai de 24 heures ouvrées.",
     [(5, "percent", "response_rate"), (24, "hour", "response")]),
    ("en", "Over one month, the seller leaves unanswered more than 5% of messages within 2 business days.",
     [(5, "percent", "response_rate"), (2, "business_day", "response")]),
    ("fr", "Le taux de remboursement des commandes au motif de la rupture de stock ne doit pas dépasser 2%.",
     [(2, "percent", "cancellation_rate")]),
    ("en", "The seller must send the refund to the buyer if, within:\n\n- up to 14 days – for a withdrawal; or\n"
           "- up to 30 days – for a complaint.", [(14, "day", "refund"), (30, "day", "dispute")]),
    ("en", "The seller must send the refund to the buyer if:\n\n- up to 14 days – for a withdrawal; or\n"
           "- up to 30 days – for a complaint.", []),
]


@pytest.mark.parametrize(("language", "text", "want"), EXTRACTOR_16_CASES)
def test_extractor_16_reads_what_sets_4_and_5_missed_in_other_words(language, text, want):
    """Each positive case was no value, or another step, for extractor 15; the negatives stay no value."""
    assert _read(text, language) == want


def test_a_pdf_table_s_narrow_cells_are_joined_again():
    """In a PDF's form a table's cells print as short lines, each a paragraph of its own: a line left open goes on
    into a next line that cannot open a sentence ("Taux de retard … par le vendeur" / "excède 4% de l'ensemble des
    commandes …"), or into any line when it ends in a word no sentence ends with ("… imposé par" / "Le Marché excède
    2% …"), so the rate and its threshold meet again; a row's end does not run into the next row ("une période d'un
    mois" / "Pénalité forfaitaire …"), and a long line that ends in a bracket goes on into "or 14 days (…)"."""
    prose = ["Le Partenaire Marchand s'engage à respecter les conditions de qualité de service prévues par les",
             "présentes conditions générales et à informer la plateforme de toute difficulté rencontrée dans le",
             "traitement des commandes des clients, faute de quoi la plateforme pourra appliquer les pénalités"] * 4
    cells = ["Défaut de qualité Sanction correspondante",
             "Taux de retard d'expédition par le vendeur", "excède 4% de l'ensemble des commandes générées sur",
             "une période d'un mois", "Pénalité forfaitaire de 300 euros",
             "Taux de remboursement pour rupture de stock imposé par", "Le Marché excède 2% des commandes d'un mois."]
    values = extract("\n\n".join(prose + ["prévues."] + cells), "fr")
    assert [(v.value, v.unit, v.subject) for v in values] == [(4, "percent", "late_shipment_rate"),
                                                              (2, "percent", "cancellation_rate")]
    assert "Pénalité" not in values[0].sentence and values[0].window == "1 month"
    prose = ["The Seller shall make the goods available for collection by the courier in accordance with the",
             "Seller Account settings and the Allegro Standard rules, and the Seller shall also respond to any"] * 5
    tail = ["The default time limit of 2 days may be changed by the Seller and extended to up to 7 days (for a "
            "withdrawal)", "or 14 days (for a complaint). The extension applies to later orders only."]
    values = extract("\n\n".join(prose + ["Discussion."] + tail), "en")
    assert [(v.value, v.unit) for v in values] == [(2, "day"), (7, "day"), (14, "day")]


def test_a_version_read_after_its_predecessor_keeps_the_values_of_their_common_sections(demo_copy):
    """A version read in a later build than its predecessor takes the predecessor's stored values for the sections
    they share (not read again), and gives the rows a reading would; when the stored rows' section keys are not the
    predecessor's (a hand edit, a migration), every section is read again rather than trusted."""
    from kb import rules
    from kb.db import open_db

    db = open_db(demo_copy)
    try:
        # a version, its predecessor, and a section with values whose text both have
        pair = db.execute("""
            select n.id, p.id, ps.key from versions n join versions p on p.document_id = n.document_id
              and p.seq = n.seq - 1 join section_spans ns on ns.version_id = n.id
            join section_spans ps on ps.version_id = p.id and ps.key = ns.key and ps.content_hash = ns.content_hash
            where exists (select 1 from rule_values r where r.version_id = p.id and r.section_key = ps.key)
              and not exists (select 1 from versions later where later.document_id = n.document_id
                              and later.seq > n.seq)
            limit 1""").fetchone()
        assert pair, "the demo has a current version sharing a section with values with its predecessor"
        newer, older, key = pair
        query = "select * from rule_values where version_id = ? order by id"
        want = [tuple(r) for r in db.execute(query, [newer])]
        assert any(r[4] == key for r in want)  # section_key

        def read_again():
            db.execute("delete from rule_values where version_id = ?", [newer])
            db.execute("delete from rule_value_versions where version_id = ?", [newer])
            db.conn.commit()
            assert rules.derive(db) == 1
            return [tuple(r) for r in db.execute(query, [newer])]

        assert read_again() == want
        db.execute("update rule_values set section_key = 'renamed-' || section_key where version_id = ? "
                   "and section_key = ?", [older, key])
        db.conn.commit()
        assert read_again() == want
    finally:
        db.close()
