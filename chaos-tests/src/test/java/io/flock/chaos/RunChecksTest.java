package io.flock.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flock.strategies.Strategy;
import io.flock.actors.job.TrainingJob;
import io.flock.chaos.Scenario.Fault;
import io.flock.chaos.Scenario.Target;
import io.flock.tensor.data.DatasetSpec;
import io.flock.tensor.model.ModelSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which guarantee a run is checked against, and the SSP/ASP audit check. */
class RunChecksTest {

    private static TrainingJob job(Strategy strategy) {
        return TrainingJob.builder().jobId("j").model(ModelSpec.Mlp.fashionMnist(1))
                .dataset(DatasetSpec.Synthetic.fashionMnistShaped(60, 10, 1)).strategy(strategy).build();
    }

    private static Scenario.Builder scenario() {
        return Scenario.builder("s").node("n1", 1, true).job("job { id = j }").atStep(10, new Fault.Kill(Target.node("n1")));
    }

    @Test
    void bulkSynchronousFamily_isCheckedAgainstTheReference_unlessASwitchLeavesIt() {
        for (Strategy s : List.of(Strategy.PS_BSP, Strategy.RING, Strategy.TREE)) {
            assertTrue(ChaosRunner.bulkSynchronous(job(s), scenario().build()), s.id());
        }
        assertTrue(ChaosRunner.bulkSynchronous(job(Strategy.PS_BSP), scenario().afterSteps(5, new Fault.Switch(Strategy.RING)).build()));
        assertFalse(ChaosRunner.bulkSynchronous(job(Strategy.PS_BSP), scenario().afterSteps(5, new Fault.Switch(Strategy.PS_SSP)).build()));
        for (Strategy s : List.of(Strategy.PS_SSP, Strategy.PS_ASP, Strategy.AUTO)) {
            assertFalse(ChaosRunner.bulkSynchronous(job(s), scenario().build()), s.id());
        }
    }

    @Test
    void auditCheck_passesOnlyWhenNoAuditFoundAGradientMissing() {
        RunReport.Check clean = ChaosRunner.auditCheck(List.of(new TrainProcess.AuditAt(3.0, 2, 40, 0),
                new TrainProcess.AuditAt(9.0, 3, 55, 0)));
        assertTrue(clean.passed());
        assertEquals("2 audit(s) at re-syncs: 95 acknowledged gradient(s) checked on every shard, 0 missing", clean.detail());
        assertFalse(ChaosRunner.auditCheck(List.of(new TrainProcess.AuditAt(3.0, 2, 40, 1))).passed());
        assertEquals("no re-sync, so no audit ran", ChaosRunner.auditCheck(List.of()).detail());
    }
}
