//! Typed gRPC clients of the four data services and the aggregator, all sending one bearer
//! token, for `lscbctl import` and `lscbctl seed` (and the end-to-end tests that reuse them).

use lscb_proto::audits::v1::{
    action_service_client::ActionServiceClient, audit_service_client::AuditServiceClient,
    board_service_client::BoardServiceClient, governance_service_client::GovernanceServiceClient,
    inspection_service_client::InspectionServiceClient,
    learning_review_service_client::LearningReviewServiceClient,
    section11_service_client::Section11ServiceClient,
    section175_service_client::Section175ServiceClient, survey_service_client::SurveyServiceClient,
};
use lscb_proto::finance::v1::finance_service_client::FinanceServiceClient;
use lscb_proto::indicators::v1::indicator_service_client::IndicatorServiceClient;
use lscb_proto::report::v1::analysis_service_client::AnalysisServiceClient;
use lscb_proto::report::v1::report_service_client::ReportServiceClient;
use lscb_proto::training::v1::training_service_client::TrainingServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// Where the services are and which token to send.
#[derive(Debug, Clone)]
pub struct Target {
    pub token: String,
    pub aggregator_url: String,
    pub indicators_url: String,
    pub audits_url: String,
    pub training_url: String,
    pub finance_url: String,
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Debug, Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        req.metadata_mut().insert("authorization", self.0.clone());
        Ok(req)
    }
}

/// An authenticated channel.
pub type Chan = InterceptedService<Channel, Bearer>;

/// One client per service (clones share the underlying connection).
#[derive(Debug, Clone)]
pub struct Clients {
    pub indicators: IndicatorServiceClient<Chan>,
    pub audits: AuditServiceClient<Chan>,
    pub inspections: InspectionServiceClient<Chan>,
    pub reviews: LearningReviewServiceClient<Chan>,
    pub actions: ActionServiceClient<Chan>,
    pub section11: Section11ServiceClient<Chan>,
    pub section175: Section175ServiceClient<Chan>,
    pub governance: GovernanceServiceClient<Chan>,
    pub surveys: SurveyServiceClient<Chan>,
    pub board: BoardServiceClient<Chan>,
    pub training: TrainingServiceClient<Chan>,
    pub finance: FinanceServiceClient<Chan>,
    pub report: ReportServiceClient<Chan>,
    pub analysis: AnalysisServiceClient<Chan>,
}

const MAX_MESSAGE: usize = 64 * 1024 * 1024;

async fn connect(url: &str, bearer: &Bearer) -> anyhow::Result<Chan> {
    let channel = Endpoint::from_shared(url.to_string())?
        .connect()
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach {url}: {e} (is `lscbctl up` running?)"))?;
    Ok(InterceptedService::new(channel, bearer.clone()))
}

impl Clients {
    /// Connects to every service of `target`.
    pub async fn connect(target: &Target) -> anyhow::Result<Clients> {
        let value = format!("Bearer {}", target.token).parse().map_err(|_| {
            anyhow::anyhow!("the token contains characters not allowed in a header")
        })?;
        let bearer = Bearer(value);
        let ind = connect(&target.indicators_url, &bearer).await?;
        let aud = connect(&target.audits_url, &bearer).await?;
        let tra = connect(&target.training_url, &bearer).await?;
        let fin = connect(&target.finance_url, &bearer).await?;
        let agg = connect(&target.aggregator_url, &bearer).await?;
        Ok(Clients {
            indicators: IndicatorServiceClient::new(ind)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
            audits: AuditServiceClient::new(aud.clone()).max_decoding_message_size(MAX_MESSAGE),
            inspections: InspectionServiceClient::new(aud.clone())
                .max_decoding_message_size(MAX_MESSAGE),
            reviews: LearningReviewServiceClient::new(aud.clone())
                .max_decoding_message_size(MAX_MESSAGE),
            actions: ActionServiceClient::new(aud.clone()).max_decoding_message_size(MAX_MESSAGE),
            section11: Section11ServiceClient::new(aud.clone())
                .max_decoding_message_size(MAX_MESSAGE),
            section175: Section175ServiceClient::new(aud.clone())
                .max_decoding_message_size(MAX_MESSAGE),
            governance: GovernanceServiceClient::new(aud.clone())
                .max_decoding_message_size(MAX_MESSAGE),
            board: BoardServiceClient::new(aud.clone()).max_decoding_message_size(MAX_MESSAGE),
            surveys: SurveyServiceClient::new(aud).max_decoding_message_size(MAX_MESSAGE),
            training: TrainingServiceClient::new(tra).max_decoding_message_size(MAX_MESSAGE),
            finance: FinanceServiceClient::new(fin).max_decoding_message_size(MAX_MESSAGE),
            report: ReportServiceClient::new(agg.clone()).max_decoding_message_size(MAX_MESSAGE),
            analysis: AnalysisServiceClient::new(agg).max_decoding_message_size(MAX_MESSAGE),
        })
    }
}
