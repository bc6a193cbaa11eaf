using MailLab.Server.Exercises;
using Xunit.Abstractions;

namespace MailLab.Tests.Exercises.Handouts;

/// <summary>
/// Every handout (lab-exercises/*/README.md), followed literally on a real lab whose addresses and ports
/// all differ from the default lab's: its commands run, its dialogues are typed, and the objectives it
/// promises are met (see <see cref="HandoutRunner"/>). A handout edit that breaks a step fails here.
/// </summary>
public sealed class HandoutRunnerTests(ITestOutputHelper output)
{
    public static TheoryData<int> Exercises => [.. ExerciseDemoTests.Catalog.Exercises.Select(e => e.Number)];

    [Theory]
    [MemberData(nameof(Exercises))]
    public async Task The_handout_works_as_written_on_a_lab_with_other_addresses_and_ports(int number)
    {
        var catalog = ExerciseDemoTests.Catalog;
        var exercise = catalog.Find(number)!;
        await using var runner = new HandoutRunner(exercise, catalog, output);
        await runner.RunAsync();
    }
}
