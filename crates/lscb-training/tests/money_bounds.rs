//! Amounts of money are bounded where they come in, so no total can wrap: on SQLite and
//! (with `LSCB_TEST_PG_URL`) PostgreSQL.

use lscb_proto::common::v1 as cpb;
use lscb_proto::training::v1 as pb;
use lscb_proto::training::v1::training_service_client::TrainingServiceClient;
use tonic::Code;

#[allow(dead_code)]
mod common;
use common::{fields, servers};

#[tokio::test]
async fn a_charge_policy_of_extreme_amounts_is_refused() {
    for (name, srv) in servers().await {
        let mut c = TrainingServiceClient::new(srv.admin().await);
        let err = c
            .set_charge_policy(pb::SetChargePolicyRequest {
                policy: Some(pb::ChargePolicy {
                    did_not_attend_charge: Some(cpb::Money { pence: i64::MAX }),
                    late_cancellation_charge: Some(cpb::Money { pence: 2_500 }),
                    cancellation_window_days: 5,
                    ..Default::default()
                }),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{name}: {err:?}");
        assert_eq!(
            fields(&err),
            ["policy.did_not_attend_charge.pence"],
            "{name}"
        );
        // Nothing was stored: the policy is still the default.
        let p = c
            .get_charge_policy(pb::GetChargePolicyRequest {})
            .await
            .unwrap()
            .into_inner();
        assert_ne!(
            p.did_not_attend_charge.map(|m| m.pence),
            Some(i64::MAX),
            "{name}"
        );
        srv.shutdown().await;
    }
}
