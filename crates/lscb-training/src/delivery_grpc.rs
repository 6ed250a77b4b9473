//! The summary's delivery detail as proto: training days, delegates per delivered session,
//! cancelled sessions, the share of registered delegates trained and each programme's
//! courses and trainer pool. Called by `grpc.rs`'s `GetTrainingSummary`.

use chrono::NaiveDate;
use lscb_platform::{Error, proto_conv};
use lscb_proto::training::v1 as pb;
use sea_orm::ConnectionTrait;

use crate::delivery::delivery_detail;
use crate::domain::{Booking, Course, Session, Trainer};
use crate::store;

/// The detail of the period's `sessions` and `bookings` (partnership `p`, period ending `to`).
pub(crate) async fn detail_pb<C: ConnectionTrait>(
    c: &C,
    p: &str,
    sessions: &[Session],
    bookings: &[Booking],
    courses: &[Course],
    trainers: &[Trainer],
    to: NaiveDate,
) -> Result<pb::DeliveryDetail, Error> {
    let programmes = store::list_programmes(c, p).await?;
    let d = delivery_detail(sessions, bookings, courses, &programmes, trainers, to);
    Ok(pb::DeliveryDetail {
        sessions_delivered: d.sessions_delivered,
        sessions_cancelled: d.sessions_cancelled,
        training_days: Some(proto_conv::decimal_to_pb(d.training_days)),
        sessions_without_length: d.sessions_without_length,
        delegates: d.delegates,
        mean_delegates_per_session: d.mean_delegates_per_session.map(proto_conv::decimal_to_pb),
        registered: d.registered,
        did_not_attend: d.did_not_attend,
        cancelled: d.cancelled,
        walk_ins: d.walk_ins,
        trained: d.trained,
        trained_share_percent: d.trained_share_percent.map(proto_conv::decimal_to_pb),
        by_programme: d
            .by_programme
            .into_iter()
            .map(|x| pb::ProgrammeDelivery {
                programme_code: x.programme_code,
                name: x.name,
                sessions_delivered: x.sessions_delivered,
                delegates: x.delegates,
                training_days: Some(proto_conv::decimal_to_pb(x.training_days)),
                trainers: x.trainers,
            })
            .collect(),
    })
}
